import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { DEFAULT_RETRY_POLICY } from '../definition/retry-policy.js';
import { isTransientInfrastructureError } from './infrastructure-error.js';
import type { ResolvedSagaModuleOptions, SagaModuleOptions } from '../saga-module-options.interface.js';

export const RESOLVED_SAGA_OPTIONS = Symbol('RESOLVED_SAGA_OPTIONS');

export function resolveSagaOptions(options: SagaModuleOptions): ResolvedSagaModuleOptions {
  return {
    connectionName: options.connectionName,
    defaultStepTimeoutMs: options.defaultStepTimeoutMs ?? 10_000,
    retry: { ...DEFAULT_RETRY_POLICY, ...options.retry },
    jobEnabled: options.jobEnabled ?? true,
    jobIntervalMs: options.jobIntervalMs ?? 1_000,
    jobBatchSize: options.jobBatchSize ?? 100,
    leaseMs: options.leaseMs ?? 15_000,
    instanceId: options.instanceId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    onDefinitionChange: options.onDefinitionChange ?? 'continue',
    // An empty string is no token: it must not unlock the actions with an empty Bearer value.
    adminToken: options.adminToken || undefined,
    readToken: options.readToken || undefined,
    isTransientError: options.isTransientError ?? isTransientInfrastructureError,
  };
}
