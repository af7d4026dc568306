import type { FlowExpectation } from '../../definition/choreography-definition.js';
import type { SagaState } from '../../domain/saga-state.js';
import type { SagaSummary } from '../../persistence/saga-list-query.js';
import type { SagaHistoryRow } from '../../persistence/saga-store.js';

/** One step (or one branch of a parallel stage) as the inspection API shows it. */
export interface StepView {
  name: string;
  status: string;
  attempts: number;
  compensationAttempts: number;
  startedAt?: string;
  finishedAt?: string;
  error?: string;
  /** The step waits for the database (or other infrastructure) to answer again; no attempt is being spent. */
  waitingOnInfrastructure?: true;
  /** Waits on infrastructure in a row for the current attempt. */
  infrastructureWaits?: number;
  /** A waiting step's absolute deadline (ISO): its timeout path runs then unless a signal or reply comes first. */
  waitDeadline?: string;
  /** When a waiting step's reminder goes out (ISO); gone once sent. */
  remindAt?: string;
  /** A signal arrived before the saga reached this wait step; it is consumed when the saga gets there. */
  signalKept?: true;
  /** The wait was ended by its signal (a second one is a duplicate). */
  signalled?: true;
  /** A parallel stage's branches, each a step of its own. */
  branches?: StepView[];
  /** A branch's own deadline or backoff end (ISO). */
  deadline?: string;
  /** A branch's place among its stage's completions (1 first): compensation runs in reverse of it. */
  completedOrder?: number;
}

/** A saga as the inspection API shows it. */
export interface SagaView {
  id: string;
  type: string;
  correlationId: string;
  status: string;
  currentStep: string | null;
  failureReason: string | null;
  deadline: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
  steps: StepView[];
  /** A choreographed flow's: every event it still expects (empty once it ended). */
  flow?: { waitingFor: FlowExpectation[] };
  history: { seq: number; step?: string; from: string | null; to: string; reason?: string; at: string }[];
}

export function toStepViews(steps: SagaState['steps']): StepView[] {
  return steps.map((s) => ({
    name: s.name,
    status: s.status,
    attempts: s.attempts,
    compensationAttempts: s.compensationAttempts,
    ...(s.startedAt ? { startedAt: s.startedAt } : {}),
    ...(s.finishedAt ? { finishedAt: s.finishedAt } : {}),
    ...(s.error ? { error: s.error } : {}),
    ...(s.awaitingInfrastructure ? { waitingOnInfrastructure: true as const } : {}),
    ...(s.infrastructureWaits ? { infrastructureWaits: s.infrastructureWaits } : {}),
    ...(s.waitDeadline ? { waitDeadline: s.waitDeadline } : {}),
    ...(s.remindAt ? { remindAt: s.remindAt } : {}),
    // The kept payload stays out of the view: it may carry what the signaller sent (a name, a note).
    ...(s.keptSignal ? { signalKept: true as const } : {}),
    ...(s.signalled ? { signalled: true as const } : {}),
    ...(s.branches ? { branches: toStepViews(s.branches) } : {}),
    ...(s.dueAt ? { deadline: s.dueAt } : {}),
    ...(s.completedOrder ? { completedOrder: s.completedOrder } : {}),
  }));
}

/** What a choreographed flow still expects (the registry answers); undefined for an orchestrated saga. */
export interface FlowWaits {
  waitingFor(state: Pick<SagaState, 'type' | 'status' | 'steps'>): FlowExpectation[] | undefined;
}

/** The fields a saga shows in a list and on its own, from its row (a summary or the full state). */
export function toSagaFields(s: SagaSummary, flows?: FlowWaits): Omit<SagaView, 'history'> {
  const waitingFor = flows?.waitingFor(s);
  return {
    id: s.id,
    type: s.type,
    correlationId: s.correlationId,
    status: s.status,
    currentStep: s.steps[s.stepIndex]?.name ?? null,
    failureReason: s.failureReason,
    deadline: s.dueAt ? s.dueAt.toISOString() : null,
    version: s.version,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
    steps: toStepViews(s.steps),
    ...(waitingFor ? { flow: { waitingFor } } : {}),
  };
}

export function toSagaView(state: SagaState, history: SagaHistoryRow[], flows?: FlowWaits): SagaView {
  return {
    ...toSagaFields(state, flows),
    history: history.map((h) => ({
      seq: h.seq,
      ...(h.step ? { step: h.step } : {}),
      from: h.from,
      to: h.to,
      ...(h.reason ? { reason: h.reason } : {}),
      at: h.at.toISOString(),
    })),
  };
}
