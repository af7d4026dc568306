import { SagaStatus, StepStatus } from './saga-status.js';
import type { HistoryEntry, SagaAction, SagaState, StepState, Transition } from './saga-state.js';
import { initialStepState } from './saga-parallel-transitions.js';
import { SagaWaitTransitions } from './saga-wait-transitions.js';

export type { StepDefaults } from './saga-transition-builder.js';

/**
 * The saga state machine as pure functions: (state, input, now) -> transition, or `null` when the input does not
 * apply (a duplicate or late reply). No I/O here; the runtime stores the transition conditionally on
 * `state.version` and only then dispatches its actions.
 */
export class SagaTransitions<TData> extends SagaWaitTransitions<TData> {
  /** A new instance: leading steps without a command complete at once; the first real step is dispatched. */
  start(init: { id: string; correlationId: string; data: TData; definitionHash: string }, now: Date): Transition<TData> {
    const state: SagaState<TData> = {
      id: init.id,
      type: this.definition.type,
      correlationId: init.correlationId,
      status: SagaStatus.STARTED,
      stepIndex: 0,
      steps: this.definition.steps.map((s) => initialStepState(s)),
      data: init.data,
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
    const t: Transition<TData> = { state, history: [{ step: null, from: null, to: SagaStatus.STARTED, reason: null }], actions: [] };
    this.setSagaStatus(t, SagaStatus.RUNNING, null);
    this.advanceFrom(t, 0, now);
    return t;
  }

  /** A completing reply for step `index`. */
  completeStep(current: SagaState<TData>, index: number, now: Date, fold?: (data: TData) => TData): Transition<TData> | null {
    if (!this.isExecuting(current, index)) return null;
    const t = this.begin(current, now);
    if (fold) t.state.data = fold(t.state.data);
    this.setStep(t, index, StepStatus.COMPLETED, null, now, {
      awaitingRetry: undefined,
      awaitingInfrastructure: undefined,
      infrastructureWaits: undefined,
    });
    this.advanceFrom(t, index + 1, now);
    return t;
  }

  /** A failing reply for step `index`: the step did not take effect; undo what did. */
  failStep(current: SagaState<TData>, index: number, reason: string, now: Date): Transition<TData> | null {
    if (!this.isExecuting(current, index)) return null;
    const t = this.begin(current, now);
    if (this.stepDef(index).forwardOnly) {
      // Reported by hand (`reportStepFailure`): past the point of no return it is retried, not undone.
      const attempts = current.steps[index].attempts;
      this.endAttempt(t, index, false, `attempt ${attempts} failed: ${reason}`, reason, true, now);
    } else {
      this.failAndCompensate(t, index, reason, false, now);
    }
    return t;
  }

  /** A reply confirming the compensation of step `index`. */
  completeCompensation(current: SagaState<TData>, index: number, now: Date): Transition<TData> | null {
    const step = current.steps[index];
    if (current.status !== SagaStatus.COMPENSATING || current.stepIndex !== index || step?.status !== StepStatus.COMPENSATING) {
      return null;
    }
    const t = this.begin(current, now);
    this.setStep(t, index, StepStatus.COMPENSATED, null, now, {
      awaitingRetry: undefined,
      awaitingInfrastructure: undefined,
      infrastructureWaits: undefined,
    });
    this.compensateNext(t, index - 1, now);
    return t;
  }

  /**
   * The current action's deadline passed: retry it after a backoff, or give up (a step is then failed and the
   * saga compensates; a compensation that gives up leaves the saga `FAILED` for an operator).
   */
  deadlinePassed(current: SagaState<TData>, now: Date): Transition<TData> | null {
    if (!current.dueAt || current.dueAt.getTime() > now.getTime()) return null;
    const index = current.stepIndex;
    const step = current.steps[index];
    if (current.status === SagaStatus.RUNNING && step?.status === StepStatus.WAITING) {
      const waiting = this.begin(current, now);
      this.waitDue(waiting, index, now);
      return waiting;
    }
    if (this.isActiveStage(current)) {
      const stage = this.begin(current, now);
      this.stageDue(stage, index, now);
      return stage;
    }
    const compensating = current.status === SagaStatus.COMPENSATING && step?.status === StepStatus.COMPENSATING;
    const executing = current.status === SagaStatus.RUNNING && step?.status === StepStatus.EXECUTING;
    if (!compensating && !executing) return null;
    const t = this.begin(current, now);
    const policy = this.retryPolicy(index);
    const attempts = compensating ? step.compensationAttempts : step.attempts;
    const what = compensating ? 'compensation' : 'attempt';
    if (step.awaitingInfrastructure) {
      this.redispatchAfterInfrastructure(t, index, compensating, now);
      return t;
    }
    if (step.awaitingRetry) {
      this.dispatchAttempt(t, index, compensating, now, `retry: ${what} ${attempts + 1} of ${policy.maxAttempts}`);
      return t;
    }
    const timeout = this.stepTimeoutMs(index);
    const exhausted = `${step.name} ${compensating ? 'compensation ' : ''}timed out after ${attempts} attempt${attempts === 1 ? '' : 's'}`;
    this.endAttempt(t, index, compensating, `${what} ${attempts} timed out after ${timeout} ms`, exhausted, true, now);
    return t;
  }

  /**
   * The deadline passed while this instance could not reach the database (`outageSince` is when it last could).
   * That says nothing about the step: its reply or its failure could not have been recorded. So the same attempt
   * goes out again, unspent, and the wait counts as one on infrastructure. A step waiting out a backoff is left to
   * `deadlinePassed`, which spends nothing either (`null`).
   */
  deadlinePassedInOutage(current: SagaState<TData>, outageSince: Date, now: Date): Transition<TData> | null {
    if (!current.dueAt || current.dueAt.getTime() < outageSince.getTime()) return null;
    return this.deadlinePassedUnspent(current, 'the database could not be reached', now);
  }

  /**
   * The deadline passed while the attempt could not be worked on (`why`: "the database could not be reached",
   * "its command was still waiting in the queue"): the same attempt goes out again, unspent, counted as a wait
   * on infrastructure. A step waiting out a backoff is left to `deadlinePassed` (`null`).
   */
  deadlinePassedUnspent(current: SagaState<TData>, why: string, now: Date): Transition<TData> | null {
    if (!current.dueAt || current.dueAt.getTime() > now.getTime()) return null;
    const index = current.stepIndex;
    const step = current.steps[index];
    if (this.isActiveStage(current)) {
      const stage = this.begin(current, now);
      this.stageDue(stage, index, now, why);
      return stage;
    }
    const compensating = current.status === SagaStatus.COMPENSATING && step?.status === StepStatus.COMPENSATING;
    const executing = current.status === SagaStatus.RUNNING && step?.status === StepStatus.EXECUTING;
    if ((!compensating && !executing) || step.awaitingRetry) return null;
    const t = this.begin(current, now);
    const attempt = compensating ? step.compensationAttempts : step.attempts;
    const what = compensating ? 'compensation' : 'attempt';
    this.setStep(t, index, step.status, `${what} ${attempt}: its deadline passed while ${why}; sent again, unspent`, now, {
      infrastructureWaits: (step.infrastructureWaits ?? 0) + 1,
    });
    t.actions.push({ kind: compensating ? 'compensate' : 'execute', stepIndex: index, attempt });
    t.state.dueAt = new Date(now.getTime() + this.stepTimeoutMs(index));
    return t;
  }

  /**
   * The handler of the current action threw. A retryable error is retried after the backoff (without waiting for
   * the deadline) until the attempts run out; a non-retryable one ends the step (or compensation) at once. The
   * handler may have committed before it threw, so a failed step counts as possibly done and is compensated.
   */
  attemptFailed(
    current: SagaState<TData>,
    index: number,
    compensating: boolean,
    error: string,
    retryable: boolean,
    now: Date,
  ): Transition<TData> | null {
    const step = current.steps[index];
    const status = compensating ? SagaStatus.COMPENSATING : SagaStatus.RUNNING;
    const stepStatus = compensating ? StepStatus.COMPENSATING : StepStatus.EXECUTING;
    if (current.status !== status || current.stepIndex !== index || step?.status !== stepStatus || step.awaitingRetry) return null;
    const t = this.begin(current, now);
    const attempts = compensating ? step.compensationAttempts : step.attempts;
    const what = compensating ? 'compensation' : 'attempt';
    const final = retryable
      ? `${step.name} ${compensating ? 'compensation ' : ''}failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${error}`
      : `${error} (not retryable)`;
    this.endAttempt(t, index, compensating, `${what} ${attempts} failed: ${error}`, final, retryable, now);
    return t;
  }

  /**
   * The instance that dispatched the current action lost its lease (it died, or stalled longer than the lease):
   * dispatch the action again now, as the same attempt with a fresh deadline. Handlers are idempotent, so a
   * repeat is harmless. `deadlineMissed` says the deadline too passed while no instance held the lease: the
   * attempt is still not spent, because the crash, not the step, kept it from answering (a broker redelivers
   * a crashed consumer's message without counting a retry the same way), so crashes alone never cancel a saga.
   * A command that takes its instance down every time would then be resumed forever, so a step is resumed at
   * most `maxAttempts` times; past that this returns `null`, and its deadline counts as usual.
   */
  resume(current: SagaState<TData>, owner: string, now: Date, deadlineMissed = false): Transition<TData> | null {
    const index = current.stepIndex;
    const step = current.steps[index];
    if (this.isActiveStage(current)) {
      const resumes = step.resumes ?? 0;
      const due = !!current.dueAt && current.dueAt.getTime() <= now.getTime();
      // A stage whose due time came is left to `deadlinePassed`, branch by branch (`null`), as a step's is past its resumes.
      if (resumes >= this.retryPolicy(index).maxAttempts || (due && !deadlineMissed)) return null;
      const t = this.begin(current, now);
      t.state.steps[index].resumes = resumes + 1;
      this.resumeStage(t, index, owner, now);
      return t.actions.length ? t : null;
    }
    const compensating = current.status === SagaStatus.COMPENSATING && step?.status === StepStatus.COMPENSATING;
    const executing = current.status === SagaStatus.RUNNING && step?.status === StepStatus.EXECUTING;
    if ((!compensating && !executing) || step.awaitingRetry) return null;
    const resumes = step.resumes ?? 0;
    if (resumes >= this.retryPolicy(index).maxAttempts) return null;
    const t = this.begin(current, now);
    t.state.steps[index].resumes = resumes + 1;
    t.state.dueAt = new Date(now.getTime() + this.stepTimeoutMs(index));
    const attempt = compensating ? step.compensationAttempts : step.attempts;
    const why = deadlineMissed ? '; its deadline passed while no instance held the lease, so the attempt is not spent' : '';
    t.history.push({ step: step.name, from: step.status, to: step.status, reason: `resumed by ${owner} after lease expiry${why}` });
    t.actions.push({ kind: compensating ? 'compensate' : 'execute', stepIndex: index, attempt });
    return t;
  }

  /**
   * The handler of the current action met an infrastructure fault (see `isTransientInfrastructureError`):
   * nothing is known about the business, so no attempt is spent and nothing is compensated; the same attempt
   * is tried again after a capped backoff, for as long as the fault lasts.
   */
  infrastructureFault(current: SagaState<TData>, index: number, compensating: boolean, fault: string, now: Date): Transition<TData> | null {
    const step = current.steps[index];
    const status = compensating ? SagaStatus.COMPENSATING : SagaStatus.RUNNING;
    const stepStatus = compensating ? StepStatus.COMPENSATING : StepStatus.EXECUTING;
    if (current.status !== status || current.stepIndex !== index || step?.status !== stepStatus || step.awaitingRetry) return null;
    const t = this.begin(current, now);
    this.awaitInfrastructure(t, index, compensating, fault, now);
    return t;
  }

  /**
   * Operator or caller abort: stop forward progress and compensate what was done. Refused (`null`) once the saga
   * is past its point of no return (its current step is forward-only).
   */
  abort(current: SagaState<TData>, reason: string, now: Date): Transition<TData> | null {
    if (current.status !== SagaStatus.RUNNING && current.status !== SagaStatus.STARTED) return null;
    if (this.stepDef(current.stepIndex)?.forwardOnly) return null;
    const t = this.begin(current, now);
    const index = current.stepIndex;
    const step = t.state.steps[index];
    if (step?.branches && step.status === StepStatus.EXECUTING) {
      this.failStage(t, index, null, reason, false, now);
    } else if (step?.status === StepStatus.EXECUTING || step?.status === StepStatus.WAITING) {
      // A command in flight may have taken effect; a wait has not.
      this.failAndCompensate(t, index, reason, step.status === StepStatus.EXECUTING, now);
    } else {
      t.state.failureReason = reason;
      this.setSagaStatus(t, SagaStatus.COMPENSATING, reason);
      this.compensateNext(t, index, now);
    }
    return t;
  }

  /**
   * Operator retry of a `FAILED` saga: its failed compensation is dispatched again with a fresh budget of
   * attempts and resumes, and the compensations after it follow as usual.
   */
  retryCompensation(current: SagaState<TData>, reason: string, now: Date): Transition<TData> | null {
    const index = current.stepIndex;
    if (current.status !== SagaStatus.FAILED || current.steps[index]?.status !== StepStatus.COMPENSATING) return null;
    const t = this.begin(current, now);
    this.setSagaStatus(t, SagaStatus.COMPENSATING, reason);
    const stuck = t.state.steps[index].branches?.findIndex((b) => b.status === StepStatus.COMPENSATING) ?? -1;
    if (stuck >= 0) {
      (t.state.steps[index].branches as NonNullable<StepState['branches']>)[stuck].compensationAttempts = 0;
      this.dispatchBranch(t, index, stuck, true, now, reason);
      this.syncStageDue(t, index);
      return t;
    }
    t.state.steps[index].compensationAttempts = 0;
    t.state.steps[index].resumes = undefined;
    this.dispatchAttempt(t, index, true, now, reason);
    return t;
  }

  /**
   * Operator skip of a failed (or stuck) compensation: the step is recorded as compensated by hand, with the
   * operator's reason, and the compensations before it run.
   */
  skipCompensation(current: SagaState<TData>, index: number, reason: string, now: Date): Transition<TData> | null {
    const step = current.steps[index];
    const stuck = current.status === SagaStatus.FAILED || current.status === SagaStatus.COMPENSATING;
    if (!stuck || current.stepIndex !== index || step?.status !== StepStatus.COMPENSATING) return null;
    const t = this.begin(current, now);
    if (current.status === SagaStatus.FAILED) this.setSagaStatus(t, SagaStatus.COMPENSATING, reason);
    this.setStep(t, index, StepStatus.COMPENSATED, reason, now, { awaitingRetry: undefined });
    this.compensateNext(t, index - 1, now);
    return t;
  }

  /**
   * A COMPLETED saga is undone, as a whole (its parent saga is compensated): every step that can be undone is
   * compensated, in reverse. `null` unless the saga is COMPLETED.
   */
  undoCompleted(current: SagaState<TData>, reason: string, now: Date): Transition<TData> | null {
    if (current.status !== SagaStatus.COMPLETED) return null;
    const t = this.begin(current, now);
    t.state.failureReason = reason;
    this.setSagaStatus(t, SagaStatus.COMPENSATING, reason);
    this.compensateNext(t, this.definition.steps.length - 1, now);
    return t;
  }

  /** The compensations an abort would run now, in order (for a dry run). */
  compensationPlan(current: SagaState<TData>): number[] {
    if (current.status !== SagaStatus.RUNNING && current.status !== SagaStatus.STARTED) return [];
    if (this.stepDef(current.stepIndex)?.forwardOnly) return [];
    const plan: number[] = [];
    for (let i = current.stepIndex; i >= 0; i--) {
      const step = current.steps[i];
      const def = this.stepDef(i);
      const tookEffect = step.status === StepStatus.COMPLETED || step.status === StepStatus.EXECUTING;
      if (tookEffect && def.compensation && !def.nonCompensable) plan.push(i);
    }
    return plan;
  }
  /** Whether the saga is at a parallel stage that is running or being undone (its branches have the due times). */
  protected isActiveStage(current: SagaState<TData>): boolean {
    const stage = current.steps[current.stepIndex];
    if (!stage?.branches) return false;
    const running = current.status === SagaStatus.RUNNING && stage.status === StepStatus.EXECUTING;
    const undoing =
      current.status === SagaStatus.COMPENSATING && (stage.status === StepStatus.COMPENSATING || stage.status === StepStatus.FAILED);
    return running || undoing;
  }
}

export type { HistoryEntry, SagaAction };
