import type { SagaDefinition } from '../definition/saga-definition.js';
import { SagaStatus } from '../domain/saga-status.js';
import { type ExploreScenario, type FaultRules, type ScenarioContext, sagaIdOf } from './fault-rules.js';

/**
 * The child saga's first command is lost and its step then fails: the child compensates itself, which fails
 * the parent's step, so the parent must end compensated. (A child whose first step waits sends no command:
 * it is left to its own deadline.)
 */
function childFails(stepIndex: number, ctx: ScenarioContext): FaultRules {
  let failed = false;
  return {
    command: (command) => {
      const parentId = ctx.sagaId();
      const childId = parentId ? ctx.childOf(parentId, stepIndex) : undefined;
      if (failed || !childId || sagaIdOf(command) !== childId) return 'run';
      failed = true;
      ctx.whenQuiet(() => ctx.failCurrentStep(childId));
      return 'drop';
    },
    problems: () => (failed ? [] : ['the child saga sent no command: no failure was injected']),
  };
}

/** Per child step of the saga: its child saga fails, and the parent compensates. */
export function childScenarios(definition: SagaDefinition<unknown>, index: number): ExploreScenario[] {
  const step = definition.steps[index];
  if (!step.childSaga) return [];
  return [
    {
      name: `${step.name}: its child saga ${step.childSaga} fails`,
      expect: [SagaStatus.COMPENSATED],
      faults: (ctx) => childFails(index, ctx),
    },
  ];
}
