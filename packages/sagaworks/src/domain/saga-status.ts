/** Lifecycle of a saga instance (or choreographed flow). `COMPLETED`, `COMPENSATED` and `FAILED` are terminal. */
export const SagaStatus = {
  STARTED: 'STARTED',
  RUNNING: 'RUNNING',
  COMPENSATING: 'COMPENSATING',
  /** A choreographed flow whose next event did not come by its deadline: it waits on, and its participant is nudged. */
  STALLED: 'STALLED',
  COMPLETED: 'COMPLETED',
  COMPENSATED: 'COMPENSATED',
  FAILED: 'FAILED',
} as const;
export type SagaStatus = (typeof SagaStatus)[keyof typeof SagaStatus];

/** Lifecycle of one step of a saga instance. */
export const StepStatus = {
  PENDING: 'PENDING',
  EXECUTING: 'EXECUTING',
  /** A wait step: waiting for its signal or reply, until its deadline. */
  WAITING: 'WAITING',
  /** Its `when` condition did not hold, or a timeout path jumped over it. */
  SKIPPED: 'SKIPPED',
  COMPLETED: 'COMPLETED',
  FAILED: 'FAILED',
  COMPENSATING: 'COMPENSATING',
  COMPENSATED: 'COMPENSATED',
} as const;
export type StepStatus = (typeof StepStatus)[keyof typeof StepStatus];

export const TERMINAL_SAGA_STATUSES: readonly SagaStatus[] = [SagaStatus.COMPLETED, SagaStatus.COMPENSATED, SagaStatus.FAILED];

export function isTerminal(status: SagaStatus): boolean {
  return TERMINAL_SAGA_STATUSES.includes(status);
}
