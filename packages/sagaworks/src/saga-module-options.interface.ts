import type { RetryPolicy } from './definition/retry-policy.js';

/** Options of `SagaModule.forRoot` / `forRootAsync`. Every field is optional; defaults are listed inline. */
export interface SagaModuleOptions {
  /** TypeORM connection (DataSource) name the saga tables live in. Default: the default DataSource. */
  connectionName?: string;
  /** Deadline of one attempt of a step that sets no `timeoutMs`. Default 10 000 ms. */
  defaultStepTimeoutMs?: number;
  /** Retry policy of steps that set none. Default: 3 attempts, 500 ms base, 30 s cap. */
  retry?: Partial<RetryPolicy>;
  /** Run `SagaTimeoutJob` on an interval. Default true; tests turn it off and call `runOnce()`. */
  jobEnabled?: boolean;
  /** Interval of `SagaTimeoutJob`. Default 1 000 ms. */
  jobIntervalMs?: number;
  /** Sagas claimed per batch by one pass of the job. Default 100. */
  jobBatchSize?: number;
  /**
   * How long an instance holds a saga it dispatched work for; renewed while the instance lives. When it dies,
   * others resume its sagas once the lease ends, without waiting for the step's deadline. Default 15 000 ms.
   */
  leaseMs?: number;
  /**
   * This process's name in leases and history; unique per process, or a restarted process takes its
   * predecessor's leases for its own and neither resumes their work early nor spares their attempts.
   * Default: `<hostname>-<pid>-<random>`.
   */
  instanceId?: string;
  /**
   * What happens to instances in flight that started under an earlier version of their definition (its steps
   * or messages changed). `continue`: they go on under the new one, steps matched by name (one whose current
   * step no longer exists is held). `hold`: they wait, untouched, until an operator adopts the new definition
   * (`SagaOrchestrator.adoptCurrentDefinition`). Either way they are logged at start-up and counted in
   * `GET /sagas/definitions`. Default `continue`.
   */
  onDefinitionChange?: 'continue' | 'hold';
  /**
   * Bearer token that unlocks the operator actions (`POST /sagas/:id/retry`, `/abort`,
   * `/steps/:step/skip`), compared in constant time. Unset: the actions answer 403, so a host that never sets
   * it exposes no way to change a saga over HTTP. It grants reads too (see `readToken`). Only read when the
   * inspection API is served.
   */
  adminToken?: string;
  /**
   * Bearer token for the read API (`GET /sagas`, `/sagas/:id`, `/sagas/definitions`) and the `/ui` pages, which
   * show sagas' data (often personal) and failures; the admin token is accepted too. With neither token set,
   * reads are open, so set one before serving beyond localhost. `ReadTokenGuard` (`sagaworks/inspector`)
   * applies the same rule to a host's own controllers.
   */
  readToken?: string;
  /**
   * Which errors a handler throws are infrastructure faults rather than business failures. Such a fault
   * spends no attempt and compensates nothing: the step waits with a capped backoff and tries the same attempt
   * again, as long as the fault lasts. Default `isTransientInfrastructureError` (PostgreSQL connection loss,
   * read-only, statement and lock timeouts, serialization failures, too many connections, socket errors); widen
   * it for your own clients' faults, e.g. `(e) => isTransientInfrastructureError(e) || e instanceof BrokerDownError`.
   */
  isTransientError?: (error: unknown) => boolean;
}

/** Options with every default applied. */
export type ResolvedSagaModuleOptions = Required<Omit<SagaModuleOptions, 'connectionName' | 'retry' | 'adminToken' | 'readToken'>> & {
  connectionName?: string;
  adminToken?: string;
  readToken?: string;
  retry: RetryPolicy;
};
