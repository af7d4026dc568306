import type { SagaContext, SagaDefinition, SagaStepDefinition } from '../definition/saga-definition.js';
import { backoffDelayMs, infrastructureBackoffMs, type RetryPolicy } from '../definition/retry-policy.js';
import { SagaStatus, StepStatus } from './saga-status.js';
import type { SagaState, StepState, Transition } from './saga-state.js';

/** Defaults a step falls back to. */
export interface StepDefaults {
  timeoutMs: number;
  retry: RetryPolicy;
}

/**
 * How a transition is built: copy the state, change steps and the saga's status with their history lines, and
 * ask for the next command. `SagaTransitions` decides, per input, which of these moves to make.
 */
export abstract class SagaTransitionBuilder<TData> {
  constructor(
    protected readonly definition: SagaDefinition<TData>,
    protected readonly defaults: StepDefaults,
  ) {}

  stepTimeoutMs(index: number): number {
    return this.definition.steps[index].timeoutMs ?? this.defaults.timeoutMs;
  }

  retryPolicy(index: number): RetryPolicy {
    return { ...this.defaults.retry, ...this.definition.steps[index].retry };
  }

  /** Whether step `index` is the one in progress (executing its command, or waiting), so a reply applies to it. */
  protected isExecuting(current: SagaState<TData>, index: number): boolean {
    const status = current.steps[index]?.status;
    return (
      current.status === SagaStatus.RUNNING &&
      current.stepIndex === index &&
      (status === StepStatus.EXECUTING || status === StepStatus.WAITING)
    );
  }

  protected contextOf(state: SagaState<TData>, attempt = 1): SagaContext<TData> {
    return {
      sagaId: state.id,
      correlationId: state.correlationId,
      data: state.data,
      attempt,
      ...(state.failureReason ? { failureReason: state.failureReason } : {}),
    };
  }

  protected begin(current: SagaState<TData>, now: Date): Transition<TData> {
    return {
      state: {
        ...current,
        steps: current.steps.map((s) => (s.branches ? { ...s, branches: s.branches.map((b) => ({ ...b })) } : { ...s })),
        updatedAt: now,
      },
      history: [],
      actions: [],
    };
  }

  protected stepDef(index: number): SagaStepDefinition<TData> {
    return this.definition.steps[index];
  }

  protected setSagaStatus(t: Transition<TData>, to: SagaState['status'], reason: string | null): void {
    t.history.push({ step: null, from: t.state.status, to, reason });
    t.state.status = to;
  }

  protected setStep(
    t: Transition<TData>,
    index: number,
    to: StepState['status'],
    reason: string | null,
    now: Date,
    patch: Partial<StepState> = {},
  ): void {
    this.changeStep(t, t.state.steps[index], to, reason, now, patch);
  }

  /** Moves one step state (a step, or a branch of a stage) to `to`, with its history line under its name. */
  protected changeStep(
    t: Transition<TData>,
    step: StepState,
    to: StepState['status'],
    reason: string | null,
    now: Date,
    patch: Partial<StepState>,
  ): void {
    t.history.push({ step: step.name, from: step.status, to, reason });
    Object.assign(step, patch, { status: to });
    if (reason && (to === StepStatus.FAILED || step.awaitingRetry)) step.error = reason;
    if (to === StepStatus.COMPLETED || to === StepStatus.FAILED || to === StepStatus.COMPENSATED) step.finishedAt = now.toISOString();
    // A cleared field stays as undefined rather than being deleted: JSON leaves it out of the stored row all the
    // same, and a delete would turn the step into a slow dictionary-mode object for every later read and copy.
  }

  /** Starts parallel stage `index` (see `SagaParallelTransitions`). */
  protected abstract beginParallel(t: Transition<TData>, index: number, now: Date): void;

  /** Undoes parallel stage `index`; whether it still has work in progress (see `SagaParallelTransitions`). */
  protected abstract compensateStage(t: Transition<TData>, index: number, now: Date): boolean;

  /**
   * Runs forward from step `from`: skips steps whose condition fails, completes command-less steps, begins a
   * wait, dispatches the first real step, or finishes.
   */
  protected advanceFrom(t: Transition<TData>, from: number, now: Date): void {
    for (let i = from; i < this.definition.steps.length; i++) {
      t.state.stepIndex = i;
      const def = this.stepDef(i);
      if (def.when && !def.when(this.contextOf(t.state))) {
        this.setStep(t, i, StepStatus.SKIPPED, 'skipped: its condition does not hold', now);
        continue;
      }
      if (def.wait) {
        this.beginWait(t, i, now);
        return;
      }
      if (def.parallel) {
        this.beginParallel(t, i, now);
        return;
      }
      if (!def.command) {
        this.setStep(t, i, StepStatus.COMPLETED, 'no action', now, { startedAt: now.toISOString() });
        continue;
      }
      this.dispatchAttempt(t, i, false, now, null);
      return;
    }
    t.state.stepIndex = this.definition.steps.length - 1;
    t.state.dueAt = null;
    this.setSagaStatus(t, SagaStatus.COMPLETED, null);
  }

  /**
   * The saga reaches wait step `index`: a signal kept for it is consumed at once (and the saga goes on, or
   * compensates); otherwise the step waits until its absolute deadline, or its reminder.
   */
  private beginWait(t: Transition<TData>, index: number, now: Date): void {
    const wait = this.stepDef(index).wait as NonNullable<SagaStepDefinition<TData>['wait']>;
    const step = t.state.steps[index];
    const deadline = new Date(now.getTime() + wait.timeoutMs);
    const remindAt = wait.remind ? new Date(now.getTime() + wait.remind.afterMs) : null;
    this.setStep(
      t,
      index,
      StepStatus.WAITING,
      `waits for ${wait.signal ? `the signal "${wait.signal}"` : 'its reply'} until ${deadline.toISOString()}`,
      now,
      {
        startedAt: now.toISOString(),
        waitDeadline: deadline.toISOString(),
        ...(remindAt && remindAt < deadline ? { remindAt: remindAt.toISOString() } : {}),
      },
    );
    t.state.dueAt = new Date(Math.min(deadline.getTime(), remindAt?.getTime() ?? Infinity));
    const kept = step.keptSignal;
    if (!kept) return;
    step.keptSignal = undefined;
    this.endWaitBySignal(t, index, kept.payload, 'the signal kept for it', now);
  }

  /** Ends wait step `index` by a signal's payload: the saga goes on, or compensates. */
  protected endWaitBySignal(t: Transition<TData>, index: number, payload: unknown, source: string, now: Date): void {
    const def = this.stepDef(index);
    const decision = def.wait?.decide ? def.wait.decide(payload, t.state.data) : { outcome: 'complete' as const };
    const patch = { signalled: true, remindAt: undefined, waitDeadline: undefined };
    if (decision.outcome === 'fail') {
      Object.assign(t.state.steps[index], patch);
      this.failAndCompensate(t, index, decision.reason, false, now);
      return;
    }
    if (decision.data !== undefined) t.state.data = decision.data;
    this.setStep(t, index, StepStatus.COMPLETED, `signalled (${source})`, now, patch);
    this.advanceFrom(t, index + 1, now);
  }

  protected dispatchAttempt(t: Transition<TData>, index: number, compensating: boolean, now: Date, reason: string | null): void {
    const step = t.state.steps[index];
    t.state.stepIndex = index;
    step.awaitingInfrastructure = undefined;
    step.infrastructureWaits = undefined;
    if (compensating) {
      step.compensationAttempts += 1;
      this.setStep(t, index, StepStatus.COMPENSATING, reason, now, { awaitingRetry: undefined });
      t.actions.push({ kind: 'compensate', stepIndex: index, attempt: step.compensationAttempts });
    } else {
      step.attempts += 1;
      if (step.attempts === 1) step.startedAt = now.toISOString();
      this.setStep(t, index, StepStatus.EXECUTING, reason, now, { awaitingRetry: undefined });
      t.actions.push({ kind: 'execute', stepIndex: index, attempt: step.attempts });
    }
    t.state.dueAt = new Date(now.getTime() + this.stepTimeoutMs(index));
  }

  protected failAndCompensate(t: Transition<TData>, index: number, reason: string, outcomeUnknown: boolean, now: Date): void {
    const name = t.state.steps[index].name;
    this.setStep(t, index, StepStatus.FAILED, reason, now, { awaitingRetry: undefined, outcomeUnknown: outcomeUnknown || undefined });
    t.state.failureReason = `${name} failed: ${reason}`;
    this.setSagaStatus(t, SagaStatus.COMPENSATING, t.state.failureReason);
    this.compensateNext(t, index, now);
  }

  /**
   * Compensates, in reverse, the next step at or below `from` that took effect (completed, or failed with an
   * unknown outcome) and can be undone. None left: the saga is `COMPENSATED`.
   */
  protected compensateNext(t: Transition<TData>, from: number, now: Date): void {
    for (let i = from; i >= 0; i--) {
      const step = t.state.steps[i];
      const def = this.stepDef(i);
      if (def.parallel) {
        if (this.compensateStage(t, i, now)) return;
        continue;
      }
      const tookEffect = step.status === StepStatus.COMPLETED || (step.status === StepStatus.FAILED && step.outcomeUnknown === true);
      if (!tookEffect || !def.compensation || def.nonCompensable) continue;
      this.dispatchAttempt(t, i, true, now, null);
      return;
    }
    t.state.dueAt = null;
    this.setSagaStatus(t, SagaStatus.COMPENSATED, t.state.failureReason);
  }

  /** An attempt ended without an answer: retry after the backoff, or give up once attempts are spent. */
  protected endAttempt(
    t: Transition<TData>,
    index: number,
    compensating: boolean,
    why: string,
    finalReason: string,
    retryable: boolean,
    now: Date,
  ): void {
    const step = t.state.steps[index];
    const policy = this.retryPolicy(index);
    const attempts = compensating ? step.compensationAttempts : step.attempts;
    const what = compensating ? 'compensation' : 'attempt';
    const forwardOnly = !compensating && this.stepDef(index).forwardOnly === true;
    if (forwardOnly || (retryable && attempts < policy.maxAttempts)) {
      const wait = backoffDelayMs(policy, attempts);
      if (wait <= 0) {
        this.dispatchAttempt(
          t,
          index,
          compensating,
          now,
          `${why}; retry: ${what} ${attempts + 1}${forwardOnly ? ' (forward-only)' : ` of ${policy.maxAttempts}`}`,
        );
      } else {
        this.setStep(t, index, step.status, `${why}; retry in ${wait} ms`, now, { awaitingRetry: true });
        t.state.dueAt = new Date(now.getTime() + wait);
      }
      return;
    }
    if (compensating) this.giveUp(t, index, finalReason, now);
    // A forward-only step never reaches here: it is retried until it succeeds.
    else this.failAndCompensate(t, index, finalReason, true, now);
  }

  /**
   * The current attempt's try met an infrastructure fault: the same attempt goes out again after a wait that
   * doubles with each fault in a row, from a quarter second up to the step's backoff cap (at least 5 s).
   */
  protected awaitInfrastructure(t: Transition<TData>, index: number, compensating: boolean, fault: string, now: Date): void {
    const step = t.state.steps[index];
    const waits = (step.infrastructureWaits ?? 0) + 1;
    const wait = infrastructureBackoffMs(waits, Math.max(this.retryPolicy(index).backoffMaxMs, 5_000));
    const attempt = compensating ? step.compensationAttempts : step.attempts;
    const what = compensating ? 'compensation' : 'attempt';
    this.setStep(t, index, step.status, `${what} ${attempt} waits on infrastructure (${fault}); again in ${wait} ms, unspent`, now, {
      awaitingRetry: true,
      awaitingInfrastructure: true,
      infrastructureWaits: waits,
    });
    t.state.dueAt = new Date(now.getTime() + wait);
  }

  /** The wait after an infrastructure fault is over: the same attempt goes out again, with a fresh deadline. */
  protected redispatchAfterInfrastructure(t: Transition<TData>, index: number, compensating: boolean, now: Date): void {
    const step = t.state.steps[index];
    const attempt = compensating ? step.compensationAttempts : step.attempts;
    const what = compensating ? 'compensation' : 'attempt';
    this.setStep(t, index, step.status, `${what} ${attempt} again after waiting on infrastructure`, now, {
      awaitingRetry: undefined,
      awaitingInfrastructure: undefined,
    });
    t.actions.push({ kind: compensating ? 'compensate' : 'execute', stepIndex: index, attempt });
    t.state.dueAt = new Date(now.getTime() + this.stepTimeoutMs(index));
  }

  protected giveUp(t: Transition<TData>, index: number, reason: string, now: Date): void {
    this.setStep(t, index, StepStatus.COMPENSATING, reason, now, { awaitingRetry: undefined });
    t.state.steps[index].error = reason;
    t.state.failureReason = `${t.state.failureReason ?? 'compensation'}; ${reason}`;
    t.state.dueAt = null;
    this.setSagaStatus(t, SagaStatus.FAILED, reason);
  }
}
