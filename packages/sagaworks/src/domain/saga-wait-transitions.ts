import { formatDuration } from '../definition/format-duration.js';
import { SagaStatus, StepStatus } from './saga-status.js';
import type { SagaState, Transition } from './saga-state.js';
import { SagaParallelTransitions } from './saga-parallel-transitions.js';

/**
 * What became of a signal. `applied`: it ended the wait. `kept`: the saga has not reached the wait yet; it is
 * consumed when it does. `late`: the wait is over (timed out, skipped, or the saga ended or is undoing).
 * `duplicate`: the wait was already ended by a signal, or one is already kept. `unknown`: no step of the saga
 * waits for a signal of that name. Only `applied` and `kept` change the saga; the others are recorded in its
 * history with the reason, and change nothing else.
 */
export type SignalOutcome = 'applied' | 'kept' | 'late' | 'duplicate' | 'unknown';

export interface SignalDecisionResult<TData> {
  outcome: SignalOutcome;
  reason: string;
  transition: Transition<TData>;
}

/** Waits: signals, and a wait step's reminder and deadline. */
export abstract class SagaWaitTransitions<TData> extends SagaParallelTransitions<TData> {
  /** The signal `name` with `payload` arrives for this saga. */
  signal(current: SagaState<TData>, name: string, payload: unknown, now: Date): SignalDecisionResult<TData> {
    const t = this.begin(current, now);
    const index = this.definition.steps.findIndex((s) => s.wait?.signal === name);
    const refuse = (outcome: SignalOutcome, why: string): SignalDecisionResult<TData> => {
      const reason = `signal "${name}" ${outcome}: ${why}; nothing changed`;
      t.history.push({ step: index >= 0 ? this.stepDef(index).name : null, from: current.status, to: current.status, reason });
      return { outcome, reason, transition: t };
    };
    if (index < 0) return refuse('unknown', `no step of ${this.definition.type} waits for it`);
    const step = current.steps[index];
    if (current.status === SagaStatus.RUNNING && current.stepIndex === index && step.status === StepStatus.WAITING) {
      this.endWaitBySignal(t, index, payload, 'signal', now);
      return { outcome: 'applied', reason: `signal "${name}" applied`, transition: t };
    }
    if (step.signalled || step.keptSignal) return refuse('duplicate', 'the wait already has its signal');
    const ahead = step.status === StepStatus.PENDING && (current.status === SagaStatus.RUNNING || current.status === SagaStatus.STARTED);
    if (!ahead) return refuse('late', `the wait is over (${step.status}, saga ${current.status})`);
    const reason = `signal "${name}" kept until the saga reaches ${step.name}`;
    t.state.steps[index].keptSignal = { payload, at: now.toISOString() };
    t.history.push({ step: step.name, from: step.status, to: step.status, reason });
    return { outcome: 'kept', reason, transition: t };
  }

  /**
   * A waiting step's due time came: its reminder (sent once), or its absolute deadline: compensate, or go on at
   * the step its timeout path names, skipping those between.
   */
  protected waitDue(t: Transition<TData>, index: number, now: Date): void {
    const step = t.state.steps[index];
    const def = this.stepDef(index);
    const wait = def.wait as NonNullable<typeof def.wait>;
    const deadline = step.waitDeadline ? new Date(step.waitDeadline) : now;
    if (step.remindAt && new Date(step.remindAt) <= now && now < deadline) {
      this.setStep(t, index, StepStatus.WAITING, 'reminder sent', now, { remindAt: undefined });
      t.actions.push({ kind: 'remind', stepIndex: index, attempt: 1 });
      t.state.dueAt = deadline;
      return;
    }
    const reason = `${def.name} timed out after ${formatDuration(wait.timeoutMs)} without ${wait.signal ? `the signal "${wait.signal}"` : 'a reply'}`;
    const target =
      typeof wait.onTimeout === 'object'
        ? this.definition.steps.findIndex((s) => s.name === (wait.onTimeout as { goTo: string }).goTo)
        : -1;
    if (target <= index) {
      this.failAndCompensate(t, index, reason, false, now);
      return;
    }
    this.setStep(t, index, StepStatus.FAILED, `${reason}; goes on at ${this.stepDef(target).name}`, now, {
      remindAt: undefined,
      waitDeadline: undefined,
    });
    for (let i = index + 1; i < target; i++) this.setStep(t, i, StepStatus.SKIPPED, `skipped by ${def.name}'s timeout path`, now);
    this.advanceFrom(t, target, now);
  }
}
