import type { RegisteredSaga } from '../../runtime/saga-registry.js';

/** A registered definition as `GET /sagas/definitions` shows it. */
export interface SagaDefinitionView {
  type: string;
  hash: string;
  steps: {
    name: string;
    command: string | null;
    compensation: string | null;
    nonCompensable: boolean;
    timeoutMs: number;
    maxAttempts: number;
    completedBy: string[];
    failedBy: string[];
    compensatedBy: string[];
  }[];
  /** Instances in flight under this definition. */
  inFlight: number;
  /** Instances in flight that started under an earlier version of this definition. */
  inFlightOnOtherVersions: number;
}

export function toDefinitionView(saga: RegisteredSaga, active: { definitionHash: string; count: number }[]): SagaDefinitionView {
  const names = (types: readonly { name: string }[] | undefined) => (types ?? []).map((t) => t.name);
  return {
    type: saga.definition.type,
    hash: saga.hash,
    steps: saga.definition.steps.map((s, i) => ({
      name: s.name,
      command: s.command?.type.name ?? null,
      compensation: s.compensation?.type.name ?? null,
      nonCompensable: !!s.nonCompensable,
      timeoutMs: saga.transitions.stepTimeoutMs(i),
      maxAttempts: saga.transitions.retryPolicy(i).maxAttempts,
      completedBy: names(s.completedBy),
      failedBy: names(s.failedBy),
      compensatedBy: names(s.compensatedBy),
    })),
    inFlight: active.filter((a) => a.definitionHash === saga.hash).reduce((n, a) => n + a.count, 0),
    inFlightOnOtherVersions: active.filter((a) => a.definitionHash !== saga.hash).reduce((n, a) => n + a.count, 0),
  };
}
