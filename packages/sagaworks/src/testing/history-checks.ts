import type { SagaDefinition } from '../definition/saga-definition.js';
import type { SagaState } from '../domain/saga-state.js';
import { SagaStatus, StepStatus } from '../domain/saga-status.js';
import type { SagaHistoryRow } from '../persistence/saga-store.js';

/**
 * What the saga's own record says is wrong with a run: it ended otherwise than `expected`, a compensated saga did
 * not undo each step that took effect exactly once (or undid one that never did), or a completed saga left a
 * step neither completed nor skipped.
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
  const reachedCount = (step: string, to: string) => history.filter((h) => h.step === step && h.to === to).length;
  definition.steps.forEach((stepDef, i) => {
    const name = stepDef.name;
    const tookEffect = reachedCount(name, 'COMPLETED') > 0 || state.steps[i].outcomeUnknown === true;
    const compensations = reachedCount(name, 'COMPENSATED');
    const undoable = stepDef.compensation && !stepDef.nonCompensable;
    if (state.status === SagaStatus.COMPENSATED && tookEffect && undoable && compensations !== 1) {
      problems.push(`step ${name} took effect and was compensated ${compensations} times, expected once`);
    }
    if (!tookEffect && compensations > 0) problems.push(`step ${name} never took effect but was compensated`);
    // A step whose `when` did not hold is skipped, and done with as much as a completed one.
    const finished: string[] = [StepStatus.COMPLETED, StepStatus.SKIPPED];
    if (state.status === SagaStatus.COMPLETED && !finished.includes(state.steps[i].status))
      problems.push(`step ${name} is ${state.steps[i].status} in a completed saga`);
  });
  return problems;
}
