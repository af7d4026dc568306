import type { SagaDefinition } from '../definition/saga-definition.js';
import { SagaStatus } from '../domain/saga-status.js';
import { childScenarios } from './child-scenarios.js';
import type { ExploreScenario } from './fault-rules.js';
import { parallelScenarios } from './parallel-scenarios.js';
import { stepScenarios } from './step-scenarios.js';
import { approvedEnds, type SignalPayloads, waitScenarios } from './wait-scenarios.js';

export type { CommandFault, EventFault, ExploreScenario, FaultRules, ScenarioContext } from './fault-rules.js';

/**
 * Every run `exploreFailures` makes, in order: no fault; then per step, its own faults: a step that sends a
 * command fails, never answers, loses its reply once and gets its command twice (a forward-only one fails once
 * and misses one deadline instead), and its compensation is delivered twice and loses its reply once; a parallel
 * stage's branches each fail (before and after the others answer), stay silent, and meet the same delivery and
 * compensation faults; a wait is signalled early, twice, rejected, never and late; a child step's child saga
 * fails. Last, every event twice.
 * A run reaching a wait that its scenario leaves alone gets the wait's approving signal once the app is quiet.
 */
export function exploreScenarios(definition: SagaDefinition<unknown>, signals?: SignalPayloads): ExploreScenario[] {
  const scenarios: ExploreScenario[] = [{ name: 'no fault', expect: [SagaStatus.COMPLETED], faults: () => ({}) }];
  definition.steps.forEach((step, index) => {
    if (step.parallel) scenarios.push(...parallelScenarios(definition, index));
    else if (step.wait) scenarios.push(...waitScenarios(definition, index, signals));
    else scenarios.push(...stepScenarios(definition, index), ...childScenarios(definition, index));
  });
  scenarios.push({ name: 'every event delivered twice', expect: [SagaStatus.COMPLETED], faults: () => ({ event: () => 'twice' }) });
  // A wait that decides on a payload the kit does not have may refuse the `{}` it sends: a run through it may
  // then end compensated, whatever else the scenario did.
  const loose = definition.steps.some((s) => s.wait && approvedEnds(s, signals).length > 1);
  if (!loose) return scenarios;
  return scenarios.map((s) =>
    s.expect.includes(SagaStatus.COMPLETED) && !s.expect.includes(SagaStatus.COMPENSATED)
      ? { ...s, expect: [...s.expect, SagaStatus.COMPENSATED] }
      : s,
  );
}
