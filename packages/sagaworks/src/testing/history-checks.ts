import type { SagaDefinition, SagaStepDefinition } from '../definition/saga-definition.js';
import type { SagaState, StepState } from '../domain/saga-state.js';
import { SagaStatus, StepStatus } from '../domain/saga-status.js';
import type { SagaHistoryRow } from '../persistence/saga-store.js';

/** A step whose `when` did not hold is skipped, and done with as much as a completed one. */
const FINISHED: readonly string[] = [StepStatus.COMPLETED, StepStatus.SKIPPED];

/**
 * The compensation problems of one step, or one branch of a parallel stage (its history lines carry its own
 * name): a compensated saga undid it exactly once if it took effect, and never if it did not.
 */
function undoProblems(
  def: SagaStepDefinition<unknown>,
  step: StepState | undefined,
  status: SagaStatus,
  history: readonly SagaHistoryRow[],
): string[] {
  // A line that changes nothing (a refused signal names its step, with the saga's status as from and to) is no move.
  const reachedCount = (to: string) => history.filter((h) => h.step === def.name && h.to === to && h.from !== h.to).length;
  const tookEffect = reachedCount(StepStatus.COMPLETED) > 0 || step?.outcomeUnknown === true;
  const compensations = reachedCount(StepStatus.COMPENSATED);
  const undoable = def.compensation && !def.nonCompensable;
  const problems: string[] = [];
  if (status === SagaStatus.COMPENSATED && tookEffect && undoable && compensations !== 1)
    problems.push(`step ${def.name} took effect and was compensated ${compensations} times, expected once`);
  if (!tookEffect && compensations > 0) problems.push(`step ${def.name} never took effect but was compensated`);
  return problems;
}

/**
 * What the saga's own record says is wrong with a run: it ended otherwise than `expected`, a compensated saga did
 * not undo each step (or branch) that took effect exactly once, or undid one that never did, or a completed
 * saga left a step (or branch) neither completed nor skipped; a wait that timed out onto its timeout path is
 * failed in a completed saga, and that is as it should be.
 */
export function historyProblems(
  definition: SagaDefinition<unknown>,
  state: SagaState,
  history: readonly SagaHistoryRow[],
  expected: readonly SagaStatus[],
): string[] {
  const problems: string[] = [];
  if (!expected.includes(state.status))
    problems.push(`ended ${state.status} (${state.failureReason ?? 'no reason'}), expected ${expected.join(' or ')}`);
  const completed = state.status === SagaStatus.COMPLETED;
  definition.steps.forEach((stepDef, i) => {
    const step = state.steps[i];
    if (stepDef.parallel) {
      // A stage is its branches: it is undone through them, so only theirs count.
      stepDef.parallel.forEach((branchDef, k) => {
        const branch = step?.branches?.[k];
        problems.push(...undoProblems(branchDef, branch, state.status, history));
        if (completed && branch && !FINISHED.includes(branch.status))
          problems.push(`branch ${branchDef.name} of ${stepDef.name} is ${branch.status} in a completed saga`);
      });
    } else problems.push(...undoProblems(stepDef, step, state.status, history));
    const timeoutPath = typeof stepDef.wait?.onTimeout === 'object' && step?.status === StepStatus.FAILED;
    if (completed && !FINISHED.includes(step?.status) && !timeoutPath)
      problems.push(`step ${stepDef.name} is ${step?.status} in a completed saga`);
  });
  return problems;
}
