import type { EntityManager } from 'typeorm';
import type { SagaState, Transition } from '../domain/saga-state.js';

export type { StoredTransition } from '../domain/saga-state.js';

/** Outcome of an operator action. */
export type OperatorActionResult = { ok: true; saga: SagaState } | { ok: false; reason: 'not-found' | 'not-applicable'; message: string };

/** What an abort would do, without doing it. */
export interface AbortPlan {
  sagaId: string;
  status: string;
  compensations: { step: string; command: string }[];
}

/** What starts a saga instance. */
export interface StartSagaInput<TData> {
  /** Instance id; generated when absent (pass one to return it before the saga is stored). */
  id?: string;
  /** Business key, unique per saga type (say, the order id): a second start with it returns the first instance. */
  correlationId: string;
  data: TData;
}

export interface StartSagaOptions {
  /**
   * Store the instance in the caller's transaction (the saga row is then the caller's outbox). Its first command is
   * NOT dispatched here, since the transaction may still roll back: dispatch it after commit with
   * `dispatchCurrent()` (or the `kickoff` operator), or let the timeout job do it when the lease ends.
   */
  manager?: EntityManager;
}

/** Decides a saga's next transition from its current state, or `null` when the input does not apply. */
export type Decide<TData> = (state: SagaState<TData>, now: Date) => Transition<TData> | null;
