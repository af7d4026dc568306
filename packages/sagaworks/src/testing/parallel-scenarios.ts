import type { SagaDefinition } from '../definition/saga-definition.js';
import { SagaStatus } from '../domain/saga-status.js';
import { type ExploreScenario, type FaultRules, combine, failing, silent } from './fault-rules.js';
import { compensationFaults, deliveryFaults, laterFailure, ownCompletionsLost, type Trigger } from './step-scenarios.js';

/** The other branches' replies wait until the app is quiet: they arrive after whatever happened first. */
function siblingsAnswerLater(stepIndex: number, branch: number): FaultRules {
  return {
    event: (_e, address) =>
      address &&
      address.stepIndex === stepIndex &&
      address.branch !== undefined &&
      address.branch !== branch &&
      address.kind !== 'compensated'
        ? 'hold'
        : 'once',
  };
}

/**
 * Per branch of parallel stage `index`: it fails by its failure reply, after the other branches answered and
 * before they do; it never answers (retried on its own deadline, then given up); its reply is lost once; its
 * command is delivered twice; and, while the saga is undone after it completed, its compensation is delivered
 * twice and its reply lost once. What undoes it: a later step's failure, else another branch failing after it
 * answered (or silent), else its own completions lost until it gives up.
 */
export function parallelScenarios(definition: SagaDefinition<unknown>, index: number): ExploreScenario[] {
  const branches = definition.steps[index].parallel ?? [];
  return branches.flatMap((def, k): ExploreScenario[] => {
    const at = { stepIndex: index, branch: k };
    const siblings = branches.map((_b, m) => m).filter((m) => m !== k);
    const scenarios: ExploreScenario[] = [];
    if (def.failedBy?.length) {
      if (siblings.length)
        scenarios.push(
          {
            name: `${def.name} fails after the other branches answer`,
            expect: [SagaStatus.COMPENSATED],
            faults: (ctx) => failing(at, ctx, { whenQuiet: true }),
          },
          {
            name: `${def.name} fails before the other branches answer`,
            expect: [SagaStatus.COMPENSATED],
            faults: (ctx) => combine(failing(at, ctx), siblingsAnswerLater(index, k)),
          },
        );
      else scenarios.push({ name: `${def.name} fails`, expect: [SagaStatus.COMPENSATED], faults: (ctx) => failing(at, ctx) });
    }
    scenarios.push({ name: `${def.name} never answers`, expect: [SagaStatus.COMPENSATED], faults: () => silent(at) });
    scenarios.push(...deliveryFaults(def.name, at));
    const refusing = siblings.find((m) => branches[m].failedBy?.length);
    const sibling: Trigger | undefined =
      refusing !== undefined
        ? (ctx) => failing({ stepIndex: index, branch: refusing }, ctx, { whenQuiet: true })
        : siblings.length
          ? () => silent({ stepIndex: index, branch: siblings[0] })
          : undefined;
    const trigger = laterFailure(definition.steps, index) ?? sibling ?? ownCompletionsLost(at);
    scenarios.push(...compensationFaults(def.name, at, def, trigger));
    return scenarios;
  });
}
