import type { SagaStepDefinition } from '../definition/saga-definition.js';
import { backoffDelayMs, infrastructureBackoffMs, type RetryPolicy } from '../definition/retry-policy.js';
import { SagaStatus, StepStatus } from './saga-status.js';
import type { SagaState, StepState, Transition } from './saga-state.js';
import { SagaTransitionBuilder } from './saga-transition-builder.js';

/**
 * A fresh step state for a definition's step, with its branches when it is a parallel stage, and marked as
 * tracked when it is a choreographed flow's (nothing is in flight for it, so it never holds a lease).
 */
export function initialStepState(def: SagaStepDefinition<unknown>): StepState {
  const step: StepState = { name: def.name, status: StepStatus.PENDING, attempts: 0, compensationAttempts: 0 };
  if (def.parallel) step.branches = def.parallel.map((b) => initialStepState(b));
  if (def.observed) step.tracked = true;
  return step;
}

const inFlight = (b: StepState) => b.status === StepStatus.EXECUTING || b.status === StepStatus.COMPENSATING;

/**
 * Parallel stages: every branch has its own attempts, deadline and retries (its `dueAt`), and the saga's
 * deadline is the earliest of them. One transition may touch several branches; each branch's change is a line
 * of the history under the branch's name.
 */
export abstract class SagaParallelTransitions<TData> extends SagaTransitionBuilder<TData> {
  protected branchDef(index: number, branch: number): SagaStepDefinition<TData> {
    return (this.stepDef(index).parallel as readonly SagaStepDefinition<TData>[])[branch];
  }

  private branchPolicy(index: number, branch: number): RetryPolicy {
    return { ...this.retryPolicy(index), ...this.branchDef(index, branch).retry };
  }

  private branchTimeoutMs(index: number, branch: number): number {
    return this.branchDef(index, branch).timeoutMs ?? this.stepTimeoutMs(index);
  }

  protected setBranch(
    t: Transition<TData>,
    index: number,
    branch: number,
    to: StepState['status'],
    reason: string | null,
    now: Date,
    patch: Partial<StepState> = {},
  ): void {
    this.changeStep(t, (t.state.steps[index].branches as StepState[])[branch], to, reason, now, patch);
  }

  /** The stage's due time: the earliest deadline or backoff end of a branch in flight or waiting to retry. */
  protected syncStageDue(t: Transition<TData>, index: number): void {
    const dues = (t.state.steps[index].branches ?? [])
      .filter((b) => b.dueAt && (inFlight(b) || b.awaitingRetry))
      .map((b) => Date.parse(b.dueAt as string));
    t.state.dueAt = dues.length ? new Date(Math.min(...dues)) : null;
  }

  protected dispatchBranch(
    t: Transition<TData>,
    index: number,
    branch: number,
    compensating: boolean,
    now: Date,
    reason: string | null,
  ): void {
    const b = (t.state.steps[index].branches as StepState[])[branch];
    const patch: Partial<StepState> = { awaitingRetry: undefined, awaitingInfrastructure: undefined, infrastructureWaits: undefined };
    patch.dueAt = new Date(now.getTime() + this.branchTimeoutMs(index, branch)).toISOString();
    if (compensating) {
      b.compensationAttempts += 1;
      this.setBranch(t, index, branch, StepStatus.COMPENSATING, reason, now, patch);
      t.actions.push({ kind: 'compensate', stepIndex: index, branch, attempt: b.compensationAttempts });
    } else {
      b.attempts += 1;
      if (b.attempts === 1) b.startedAt = now.toISOString();
      this.setBranch(t, index, branch, StepStatus.EXECUTING, reason, now, patch);
      t.actions.push({ kind: 'execute', stepIndex: index, branch, attempt: b.attempts });
    }
  }

  /** The saga reaches parallel stage `index`: every branch whose condition holds starts at once. */
  protected beginParallel(t: Transition<TData>, index: number, now: Date): void {
    t.state.stepIndex = index;
    this.setStep(t, index, StepStatus.EXECUTING, null, now, { startedAt: now.toISOString(), attempts: 1 });
    (this.stepDef(index).parallel ?? []).forEach((def, branch) => {
      if (def.when && !def.when(this.contextOf(t.state)))
        this.setBranch(t, index, branch, StepStatus.SKIPPED, 'skipped: its condition does not hold', now);
      else this.dispatchBranch(t, index, branch, false, now, null);
    });
    if (!this.finishStageIfDone(t, index, now)) this.syncStageDue(t, index);
  }

  /** Every branch completed (or was skipped): the stage completes and the saga goes on. */
  private finishStageIfDone(t: Transition<TData>, index: number, now: Date): boolean {
    const branches = t.state.steps[index].branches ?? [];
    if (!branches.every((b) => b.status === StepStatus.COMPLETED || b.status === StepStatus.SKIPPED)) return false;
    this.setStep(t, index, StepStatus.COMPLETED, 'every branch completed', now);
    this.advanceFrom(t, index + 1, now);
    return true;
  }

  private stageIs(current: SagaState<TData>, index: number, sagaStatus: SagaState['status']): boolean {
    return current.status === sagaStatus && current.stepIndex === index && !!current.steps[index]?.branches;
  }

  /** A completing reply for branch `branch` of stage `index`. */
  completeBranch(
    current: SagaState<TData>,
    index: number,
    branch: number,
    now: Date,
    fold?: (data: TData) => TData,
  ): Transition<TData> | null {
    const running = this.stageIs(current, index, SagaStatus.RUNNING);
    const undoing = this.stageIs(current, index, SagaStatus.COMPENSATING);
    if ((!running && !undoing) || current.steps[index].branches?.[branch]?.status !== StepStatus.EXECUTING) return null;
    const t = this.begin(current, now);
    const order = (t.state.steps[index].branches ?? []).filter((b) => b.completedOrder).length + 1;
    if (fold && running) t.state.data = fold(t.state.data);
    this.setBranch(t, index, branch, StepStatus.COMPLETED, undoing ? 'completed after its stage failed: it is compensated' : null, now, {
      completedOrder: order,
      dueAt: undefined,
      awaitingRetry: undefined,
      awaitingInfrastructure: undefined,
      infrastructureWaits: undefined,
    });
    if (running) {
      if (!this.finishStageIfDone(t, index, now)) this.syncStageDue(t, index);
    } else this.continueStageCompensation(t, index, now);
    return t;
  }

  /** A failing reply for a branch: the stage fails, or (while it is undone) the branch just took no effect. */
  failBranch(current: SagaState<TData>, index: number, branch: number, reason: string, now: Date): Transition<TData> | null {
    const running = this.stageIs(current, index, SagaStatus.RUNNING);
    const undoing = this.stageIs(current, index, SagaStatus.COMPENSATING);
    if ((!running && !undoing) || current.steps[index].branches?.[branch]?.status !== StepStatus.EXECUTING) return null;
    const t = this.begin(current, now);
    if (running) this.failStage(t, index, branch, reason, false, now);
    else {
      this.setBranch(t, index, branch, StepStatus.FAILED, reason, now, { dueAt: undefined, awaitingRetry: undefined });
      this.continueStageCompensation(t, index, now);
    }
    return t;
  }

  /** A reply confirming a branch's compensation. */
  completeBranchCompensation(current: SagaState<TData>, index: number, branch: number, now: Date): Transition<TData> | null {
    if (
      !this.stageIs(current, index, SagaStatus.COMPENSATING) ||
      current.steps[index].branches?.[branch]?.status !== StepStatus.COMPENSATING
    )
      return null;
    const t = this.begin(current, now);
    this.setBranch(t, index, branch, StepStatus.COMPENSATED, null, now, {
      dueAt: undefined,
      awaitingRetry: undefined,
      awaitingInfrastructure: undefined,
      infrastructureWaits: undefined,
    });
    this.continueStageCompensation(t, index, now);
    return t;
  }

  /**
   * Branch `failed` of stage `index` failed: branches waiting out a backoff may have taken effect (their last
   * attempt timed out or threw), branches still running may yet; the saga compensates, starting with the stage.
   */
  protected failStage(
    t: Transition<TData>,
    index: number,
    failed: number | null,
    reason: string,
    outcomeUnknown: boolean,
    now: Date,
  ): void {
    const branches = t.state.steps[index].branches as StepState[];
    let name = t.state.steps[index].name;
    if (failed !== null) {
      name = branches[failed].name;
      this.setBranch(t, index, failed, StepStatus.FAILED, reason, now, {
        dueAt: undefined,
        awaitingRetry: undefined,
        outcomeUnknown: outcomeUnknown || undefined,
      });
    }
    branches.forEach((b, k) => {
      if (b.status === StepStatus.EXECUTING && b.awaitingRetry)
        this.setBranch(t, index, k, StepStatus.FAILED, 'its stage failed while it waited to retry', now, {
          dueAt: undefined,
          awaitingRetry: undefined,
          outcomeUnknown: true,
        });
    });
    this.setStep(t, index, StepStatus.FAILED, reason, now);
    t.state.failureReason = `${name} failed: ${reason}`;
    this.setSagaStatus(t, SagaStatus.COMPENSATING, t.state.failureReason);
    this.continueStageCompensation(t, index, now);
  }

  /**
   * Undoes stage `index`: the next branch that took effect, latest completion first. With none left it waits for
   * the branches still running (their reply or their deadline settles them), then moves to the steps before.
   */
  protected continueStageCompensation(t: Transition<TData>, index: number, now: Date): void {
    if (!this.compensateStage(t, index, now)) this.compensateNext(t, index - 1, now);
  }

  /** Whether stage `index` still has compensation to run or branches to wait for (true), or is settled. */
  protected compensateStage(t: Transition<TData>, index: number, now: Date): boolean {
    const stage = t.state.steps[index];
    const branches = stage.branches as StepState[];
    t.state.stepIndex = index;
    if (branches.some((b) => b.status === StepStatus.COMPENSATING)) return true;
    const next = branches
      .map((b, k) => ({ b, k }))
      .filter(({ b, k }) => {
        const def = this.branchDef(index, k);
        const tookEffect = b.status === StepStatus.COMPLETED || (b.status === StepStatus.FAILED && b.outcomeUnknown === true);
        return tookEffect && !!def.compensation && !def.nonCompensable;
      })
      .sort((x, y) => (y.b.completedOrder ?? Number.MAX_SAFE_INTEGER) - (x.b.completedOrder ?? Number.MAX_SAFE_INTEGER))[0];
    const stageUndoing = (why: string) => {
      if (stage.status !== StepStatus.COMPENSATING) this.setStep(t, index, StepStatus.COMPENSATING, why, now);
    };
    if (next) {
      stageUndoing('its branches are compensated, latest completion first');
      this.dispatchBranch(t, index, next.k, true, now, null);
      this.syncStageDue(t, index);
      return true;
    }
    if (branches.some((b) => b.status === StepStatus.EXECUTING)) {
      stageUndoing('waits for its running branches to answer, to compensate them if they took effect');
      this.syncStageDue(t, index);
      return true;
    }
    if (stage.status === StepStatus.COMPENSATING) this.setStep(t, index, StepStatus.COMPENSATED, null, now);
    return false;
  }

  /** The stage's due time came: each due branch retries, gives up, or (while undoing) settles. */
  /** `unspentBecause`: the deadlines passed while the attempts could not be worked on (why, in words). */
  protected stageDue(t: Transition<TData>, index: number, now: Date, unspentBecause?: string): void {
    const undoing = t.state.status === SagaStatus.COMPENSATING;
    const due = (t.state.steps[index].branches ?? [])
      .map((b, k) => ({ b, k }))
      .filter(({ b }) => b.dueAt && Date.parse(b.dueAt) <= now.getTime());
    for (const { b, k } of due) {
      if (!inFlight(b) && !b.awaitingRetry) continue;
      const compensating = b.status === StepStatus.COMPENSATING;
      const attempts = compensating ? b.compensationAttempts : b.attempts;
      const what = compensating ? 'compensation' : 'attempt';
      if (b.awaitingInfrastructure)
        this.dispatchBranchAgain(t, index, k, compensating, `${what} ${attempts} again after waiting on infrastructure`, now);
      else if (b.awaitingRetry) this.dispatchBranch(t, index, k, compensating, now, `retry: ${what} ${attempts + 1}`);
      else if (unspentBecause)
        this.dispatchBranchAgain(
          t,
          index,
          k,
          compensating,
          `${what} ${attempts}: its deadline passed while ${unspentBecause}; sent again, unspent`,
          now,
        );
      else if (undoing && !compensating) {
        // A branch still running when its stage failed, silent to its deadline: it may have taken effect.
        this.setBranch(t, index, k, StepStatus.FAILED, `${what} ${attempts} timed out after its stage failed`, now, {
          dueAt: undefined,
          outcomeUnknown: true,
        });
      } else if (
        this.endBranchAttempt(
          t,
          index,
          k,
          compensating,
          `${what} ${attempts} timed out after ${this.branchTimeoutMs(index, k)} ms`,
          true,
          now,
        )
      )
        return;
    }
    if (undoing) this.continueStageCompensation(t, index, now);
    else this.syncStageDue(t, index);
  }

  /** The same attempt again (after an infrastructure wait, an outage, or a lapsed lease), unspent. */
  protected dispatchBranchAgain(
    t: Transition<TData>,
    index: number,
    branch: number,
    compensating: boolean,
    reason: string,
    now: Date,
  ): void {
    const b = (t.state.steps[index].branches as StepState[])[branch];
    this.setBranch(t, index, branch, b.status, reason, now, {
      awaitingRetry: undefined,
      awaitingInfrastructure: undefined,
      dueAt: new Date(now.getTime() + this.branchTimeoutMs(index, branch)).toISOString(),
    });
    t.actions.push({
      kind: compensating ? 'compensate' : 'execute',
      stepIndex: index,
      branch,
      attempt: compensating ? b.compensationAttempts : b.attempts,
    });
  }

  /**
   * A branch's attempt ended without an answer, or threw: retry after the backoff, or give up. Returns whether
   * it gave up (its stage then failed, or the saga is FAILED for an operator).
   */
  protected endBranchAttempt(
    t: Transition<TData>,
    index: number,
    branch: number,
    compensating: boolean,
    why: string,
    retryable: boolean,
    now: Date,
  ): boolean {
    const b = (t.state.steps[index].branches as StepState[])[branch];
    const policy = this.branchPolicy(index, branch);
    const attempts = compensating ? b.compensationAttempts : b.attempts;
    if (retryable && attempts < policy.maxAttempts) {
      const wait = Math.max(1, backoffDelayMs(policy, attempts));
      this.setBranch(t, index, branch, b.status, `${why}; retry in ${wait} ms`, now, {
        awaitingRetry: true,
        dueAt: new Date(now.getTime() + wait).toISOString(),
      });
      return false;
    }
    const final = `${b.name} ${compensating ? 'compensation ' : ''}${why.includes('timed out') ? 'timed out' : 'failed'} after ${attempts} attempt${attempts === 1 ? '' : 's'}`;
    if (compensating) {
      this.setBranch(t, index, branch, StepStatus.COMPENSATING, final, now, { awaitingRetry: undefined, dueAt: undefined });
      t.state.failureReason = `${t.state.failureReason ?? 'compensation'}; ${final}`;
      t.state.dueAt = null;
      this.setSagaStatus(t, SagaStatus.FAILED, final);
    } else this.failStage(t, index, branch, final, true, now);
    return true;
  }

  /** A branch's handler threw (`retryable` per its policy) or met an infrastructure fault (`fault`, unspent). */
  branchAttemptFailed(
    current: SagaState<TData>,
    index: number,
    branch: number,
    compensating: boolean,
    error: string,
    retryable: boolean,
    fault: boolean,
    now: Date,
  ): Transition<TData> | null {
    const b = current.steps[index]?.branches?.[branch];
    const status = compensating ? StepStatus.COMPENSATING : StepStatus.EXECUTING;
    if (current.stepIndex !== index || !b || b.status !== status || b.awaitingRetry) return null;
    const t = this.begin(current, now);
    const attempts = compensating ? b.compensationAttempts : b.attempts;
    const what = compensating ? 'compensation' : 'attempt';
    if (fault) {
      const waits = (b.infrastructureWaits ?? 0) + 1;
      const wait = infrastructureBackoffMs(waits, Math.max(this.branchPolicy(index, branch).backoffMaxMs, 5_000));
      this.setBranch(
        t,
        index,
        branch,
        b.status,
        `${what} ${attempts} waits on infrastructure (${error}); again in ${wait} ms, unspent`,
        now,
        {
          awaitingRetry: true,
          awaitingInfrastructure: true,
          infrastructureWaits: waits,
          dueAt: new Date(now.getTime() + wait).toISOString(),
        },
      );
      this.syncStageDue(t, index);
      return t;
    }
    if (!this.endBranchAttempt(t, index, branch, compensating, `${what} ${attempts} failed: ${error}`, retryable, now))
      this.syncStageDue(t, index);
    return t;
  }

  /** The owner of a stage lost its lease: every branch in flight goes out again, unspent. */
  protected resumeStage(t: Transition<TData>, index: number, owner: string, now: Date): void {
    (t.state.steps[index].branches ?? []).forEach((b, k) => {
      if (inFlight(b) && !b.awaitingRetry)
        this.dispatchBranchAgain(t, index, k, b.status === StepStatus.COMPENSATING, `resumed by ${owner} after lease expiry`, now);
    });
    this.syncStageDue(t, index);
  }
}
