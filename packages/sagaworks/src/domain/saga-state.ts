import type { SagaStatus, StepStatus } from './saga-status.js';

/** One step of one saga instance, as stored in `saga_instance.steps`. */
export interface StepState {
  name: string;
  status: StepStatus;
  /** Forward attempts dispatched so far. */
  attempts: number;
  /** Compensation attempts dispatched so far. */
  compensationAttempts: number;
  startedAt?: string;
  finishedAt?: string;
  error?: string;
  /** The last attempt timed out and the next one waits for `dueAt` (backoff). */
  awaitingRetry?: boolean;
  /** Failed by timeout: it may have taken effect, so it is compensated too. */
  outcomeUnknown?: boolean;
  /** Times this step's action was dispatched again because the instance running it lost its lease. */
  resumes?: number;
  /**
   * The last try of the current attempt met an infrastructure fault (the database down, read-only, timing out):
   * the same attempt goes out again at `dueAt`, unspent.
   */
  awaitingInfrastructure?: boolean;
  /** Infrastructure faults met in a row by the current attempt; the wait before the next try grows with them. */
  infrastructureWaits?: number;
  /** A wait step's absolute deadline (ISO), stored when the wait began. */
  waitDeadline?: string;
  /** When a wait step's reminder is due (ISO); cleared once it is sent. */
  remindAt?: string;
  /** A signal that arrived before the saga reached this wait step, kept until it does. */
  keptSignal?: { payload: unknown; at: string };
  /** The wait ended by its signal (so a second one is a duplicate, not late). */
  signalled?: boolean;
  /** A parallel stage's branches, in definition order. */
  branches?: StepState[];
  /** A branch's own deadline or backoff end (ISO); the saga's `dueAt` is the earliest of its stage's. */
  dueAt?: string;
  /** A branch's place in its stage's completions (1 first): compensation runs in reverse of it. */
  completedOrder?: number;
  /** A choreographed flow's step: nothing is sent for it, its events are only observed (so it holds no lease). */
  tracked?: true;
}

/** A saga instance in memory: the `saga_instance` row, parsed. */
export interface SagaState<TData = unknown> {
  id: string;
  type: string;
  correlationId: string;
  status: SagaStatus;
  /** Index of the step being executed or compensated. */
  stepIndex: number;
  steps: StepState[];
  data: TData;
  failureReason: string | null;
  /** When the current action's deadline (or retry backoff) ends; null when terminal. */
  dueAt: Date | null;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  /** Optimistic-concurrency version: every transition is conditional on it. */
  version: number;
  /** Entries already in `saga_history`. */
  historySeq: number;
  definitionHash: string;
  createdAt: Date;
  updatedAt: Date;
}

/** One line of a saga's history: a saga-level change (`step` null) or a step's. */
export interface HistoryEntry {
  step: string | null;
  from: string | null;
  to: string;
  reason: string | null;
}

/** A command the runtime must dispatch once the transition that asked for it is stored. */
export interface SagaAction {
  /** `remind`: a wait step's reminder command. */
  kind: 'execute' | 'compensate' | 'remind';
  stepIndex: number;
  /** The branch of a parallel stage the action belongs to. */
  branch?: number;
  attempt: number;
}

/** The result of applying an input to a saga: its next state, what to record, and what to dispatch. */
export interface Transition<TData = unknown> {
  state: SagaState<TData>;
  history: HistoryEntry[];
  actions: SagaAction[];
}

/** A transition that was stored, as `transitions$` and the hooks report it (metrics, logs, traces). */
export interface StoredTransition {
  before: SagaState | null;
  after: SagaState;
  history: Transition['history'];
  at: Date;
}
