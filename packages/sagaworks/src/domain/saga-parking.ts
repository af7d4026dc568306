import { StepStatus } from './saga-status.js';
import type { SagaState } from './saga-state.js';

/**
 * Whether a saga is parked: nothing of it is in flight, so it needs no lease and costs nothing until it is due.
 * That is a step waiting for a signal or a reply (its deadline or reminder wakes it), and a step sitting out a
 * retry backoff or an infrastructure wait (the backoff's end wakes it), and every step of a choreographed flow.
 */
export function isParked(state: SagaState): boolean {
  const step = state.steps[state.stepIndex];
  if (!step || !state.dueAt) return false;
  return step.status === StepStatus.WAITING || step.awaitingRetry === true || step.tracked === true;
}
