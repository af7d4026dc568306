import type { ChoreographyDefinition, FlowExpectation } from '../definition/choreography-definition.js';
import type { SagaDefinition } from '../definition/saga-definition.js';
import { initialStepState } from './saga-parallel-transitions.js';
import type { SagaState, StepState, Transition } from './saga-state.js';
import { SagaStatus, StepStatus, isTerminal } from './saga-status.js';

/** What a choreographed flow keeps besides its steps: how often it has been nudged. */
export interface FlowData {
  nudges: number;
}

/** Which step an event class answers in a flow, and how. */
export interface FlowEventAddress {
  stepIndex: number;
  kind: 'completed' | 'failed' | 'compensated';
}

/** An observed event, as a transition records it. */
export interface ObservedEvent {
  name: string;
  reason?: string;
}

type FlowState = SagaState<FlowData>;

/** A flow's state as the flow transitions read it (the store returns every instance as a plain saga's). */
export const asFlowState = (state: SagaState): FlowState => state as FlowState;

/** The reminders of a stalled flow come at the deadline, doubling, at most this far apart. */
const MAX_NUDGE_WAIT_MS = 600_000;

const waiting = (s: StepState) => s.status === StepStatus.PENDING || s.status === StepStatus.WAITING;

/**
 * The state machine of a choreographed flow, pure like `SagaTransitions`: the flow's status is derived from its
 * steps after every event, so events in any order end in the same state. Nothing here sends anything; a
 * transition that adds a nudge asks the tracker to publish a `FlowStalledEvent`.
 */
export class FlowTransitions {
  constructor(
    private readonly definition: ChoreographyDefinition,
    private readonly deadlineMs: number,
    /** The flow's steps as a saga definition's (`flowAsSaga`), whose step states are the ones stored. */
    private readonly asSaga: SagaDefinition<unknown>,
  ) {}

  /** A new instance, before its first event is applied. */
  begin(init: { id: string; correlationId: string; definitionHash: string }, now: Date): Transition<FlowData> {
    const state: FlowState = {
      id: init.id,
      type: this.definition.type,
      correlationId: init.correlationId,
      status: SagaStatus.RUNNING,
      stepIndex: 0,
      steps: this.asSaga.steps.map((s) => initialStepState(s)),
      data: { nudges: 0 },
      failureReason: null,
      dueAt: null,
      leaseOwner: null,
      leaseUntil: null,
      version: 0,
      historySeq: 0,
      definitionHash: init.definitionHash,
      createdAt: now,
      updatedAt: now,
    };
    return { state, history: [{ step: null, from: null, to: SagaStatus.RUNNING, reason: 'first event observed' }], actions: [] };
  }

  /** Applies an event to the steps it answers; null when it changes nothing (a duplicate, or the flow ended). */
  observe(state: FlowState, addresses: readonly FlowEventAddress[], event: ObservedEvent, now: Date): Transition<FlowData> | null {
    if (isTerminal(state.status)) return null;
    const t = draft(state, now);
    const current = state.stepIndex;
    let changed = false;
    for (const { stepIndex, kind } of addresses) {
      const step = t.state.steps[stepIndex];
      const to = nextStatus(step, kind);
      if (!to) continue;
      const early = kind === 'completed' && stepIndex > current && state.status !== SagaStatus.COMPENSATING ? ' (early)' : '';
      const reason = `${event.name}${event.reason ? `: ${event.reason}` : ''}${early}`;
      t.history.push({ step: step.name, from: step.status, to, reason });
      t.state.steps[stepIndex] = { ...step, status: to, finishedAt: now.toISOString(), ...(kind === 'failed' ? { error: reason } : {}) };
      changed = true;
    }
    if (!changed) return null;
    this.settle(t, now, 'progress');
    return t;
  }

  /** The deadline passed: the flow is stalled (or reminded again), and the tracker nudges its next participant. */
  due(state: FlowState, now: Date): Transition<FlowData> | null {
    if (isTerminal(state.status) || !state.dueAt || state.dueAt.getTime() > now.getTime()) return null;
    const t = draft(state, now);
    const nudges = state.data.nudges + 1;
    const next = this.expectations(state).next;
    const what = next.map((e) => `${e.events.join(' or ')} (${e.step}${e.participant ? `, ${e.participant}` : ''})`).join(', ');
    t.history.push({
      step: null,
      from: state.status,
      to: SagaStatus.STALLED,
      reason: state.status === SagaStatus.STALLED ? `still waiting for ${what}: nudge ${nudges}` : `no ${what} by the deadline`,
    });
    t.state = { ...t.state, status: SagaStatus.STALLED, data: { nudges }, dueAt: new Date(now.getTime() + this.nudgeWaitMs(nudges)) };
    return t;
  }

  /** Operator retry of a stalled flow: a fresh deadline, and its next participant nudged again. */
  retry(state: FlowState, reason: string, now: Date): Transition<FlowData> | null {
    if (state.status !== SagaStatus.STALLED) return null;
    const t = draft(state, now);
    t.state.data = { nudges: state.data.nudges + 1 };
    this.settle(t, now, reason);
    return t;
  }

  /** Operator abort: the flow ends FAILED now; what the participants did stays as it is. */
  abort(state: FlowState, reason: string, now: Date): Transition<FlowData> | null {
    if (isTerminal(state.status)) return null;
    const t = draft(state, now);
    t.history.push({ step: null, from: state.status, to: SagaStatus.FAILED, reason });
    t.state = { ...t.state, status: SagaStatus.FAILED, failureReason: reason, dueAt: null };
    return t;
  }

  /**
   * What the flow waits for: `next`, the event its deadline is about (the first missing milestone, or the latest
   * undoing); `missing`, every event still expected.
   */
  expectations(state: Pick<SagaState, 'status' | 'steps'>): { next: FlowExpectation[]; missing: FlowExpectation[] } {
    if (isTerminal(state.status)) return { next: [], missing: [] };
    const undoing = state.steps.some((s) => s.status === StepStatus.FAILED);
    const missing = state.steps.flatMap((s, i): FlowExpectation[] => {
      const d = this.definition.steps[i];
      if (!d) return [];
      const participant = d.participant ?? null;
      if (undoing && s.status === StepStatus.COMPENSATING)
        return [{ step: d.name, participant, kind: 'compensated', events: (d.compensatedBy ?? []).map((e) => e.name) }];
      if (!undoing && waiting(s)) return [{ step: d.name, participant, kind: 'completed', events: d.completedBy.map((e) => e.name) }];
      return [];
    });
    const next = undoing ? missing.slice(-1) : missing.slice(0, 1);
    return { next, missing };
  }

  /** The flow's status, derived from its steps; a non-terminal flow gets a fresh deadline. */
  private settle(t: Transition<FlowData>, now: Date, why: string): void {
    const s = t.state;
    const failed = s.steps.find((step) => step.status === StepStatus.FAILED);
    if (!failed) {
      const next = s.steps.findIndex(waiting);
      s.steps = s.steps.map((step, i) =>
        waiting(step) ? { ...step, status: i === next ? StepStatus.WAITING : StepStatus.PENDING } : step,
      );
      if (next >= 0 && !s.steps[next].startedAt) s.steps[next] = { ...s.steps[next], startedAt: now.toISOString() };
      if (next < 0 && s.steps.every((step) => step.status === StepStatus.COMPLETED)) return this.end(t, SagaStatus.COMPLETED, null);
      // An undoing seen before its failure: the flow waits for that failure, at the step undone.
      s.stepIndex = next >= 0 ? next : s.steps.findIndex((step) => step.status !== StepStatus.COMPLETED);
      this.setStatus(t, SagaStatus.RUNNING, why);
    } else {
      // Every milestone reached that can be undone must be; the ones never reached will not come.
      s.steps = s.steps.map((step, i) => {
        const undoable = (this.definition.steps[i]?.compensatedBy?.length ?? 0) > 0;
        const to = step.status === StepStatus.COMPLETED && undoable ? StepStatus.COMPENSATING : waiting(step) ? StepStatus.SKIPPED : null;
        if (!to) return step;
        t.history.push({ step: step.name, from: step.status, to, reason: `${failed.name} failed` });
        return { ...step, status: to };
      });
      s.failureReason = failed.error ?? `${failed.name} failed`;
      const undoing = s.steps.map((step) => step.status).lastIndexOf(StepStatus.COMPENSATING);
      if (undoing < 0) return this.end(t, SagaStatus.COMPENSATED, s.failureReason);
      s.stepIndex = undoing;
      this.setStatus(t, SagaStatus.COMPENSATING, s.failureReason);
    }
    s.dueAt = new Date(now.getTime() + this.deadlineMs);
  }

  private end(t: Transition<FlowData>, status: SagaStatus, reason: string | null): void {
    this.setStatus(t, status, reason);
    t.state.dueAt = null;
  }

  private setStatus(t: Transition<FlowData>, to: SagaStatus, reason: string | null): void {
    if (t.state.status === to) return;
    t.history.push({ step: null, from: t.state.status, to, reason });
    t.state.status = to;
  }

  private nudgeWaitMs(nudges: number): number {
    return Math.min(this.deadlineMs * 2 ** Math.min(nudges, 20), MAX_NUDGE_WAIT_MS);
  }
}

/** A step's status after an event of `kind`, or null when the event says nothing new about it. */
function nextStatus(step: StepState, kind: FlowEventAddress['kind']): StepState['status'] | null {
  switch (kind) {
    case 'completed':
      // A milestone skipped after a failure may still come: it took effect, so it is undone like the others.
      return waiting(step) || step.status === StepStatus.SKIPPED ? StepStatus.COMPLETED : null;
    case 'failed':
      return waiting(step) ? StepStatus.FAILED : null;
    case 'compensated':
      // An undoing may come before the failure that asked for it, or before the milestone it undoes was seen.
      return step.status === StepStatus.COMPENSATED || step.status === StepStatus.FAILED ? null : StepStatus.COMPENSATED;
  }
}

function draft(state: FlowState, now: Date): Transition<FlowData> {
  return { state: { ...state, steps: [...state.steps], data: { ...state.data }, updatedAt: now }, history: [], actions: [] };
}
