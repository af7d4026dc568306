import type { SagaDefinition, SagaStepDefinition } from '../definition/saga-definition.js';
import { SagaStatus } from '../domain/saga-status.js';
import {
  type ExploreScenario,
  type FaultRules,
  type ScenarioContext,
  type StepRef,
  combine,
  failing,
  isCommandOf,
  isReplyOf,
  once,
  silent,
} from './fault-rules.js';

type Step = SagaStepDefinition<unknown>;
export type Trigger = (ctx: ScenarioContext) => FaultRules;

/**
 * Faults that make the saga undo what came before step `after`: the first later step that sends a command, or
 * a later parallel stage's branch, fails (or, with no failure reply, stays silent); else a later wait that
 * compensates at its deadline is left unsignalled. `undefined` when nothing later can fail.
 */
export function laterFailure(steps: readonly Step[], after: number): Trigger | undefined {
  for (let j = after + 1; j < steps.length; j++) {
    const s = steps[j];
    if (s.command && !s.forwardOnly) return (ctx) => failing({ stepIndex: j }, ctx);
    const branches = s.parallel ?? [];
    const refused = branches.findIndex((b) => b.failedBy?.length);
    if (refused >= 0) return (ctx) => failing({ stepIndex: j, branch: refused }, ctx);
    if (branches.length) return () => silent({ stepIndex: j, branch: 0 });
  }
  const wait = steps.findIndex((s, j) => j > after && s.wait && typeof s.wait.onTimeout !== 'object');
  if (wait >= 0) return () => ({ wait: (change) => change.stepIndex === wait });
  return undefined;
}

/** The step's (or branch's) completing replies are lost until it gives up: it is undone as possibly done. */
export function ownCompletionsLost(at: StepRef): Trigger {
  const isCompletion = isReplyOf(at, 'completed');
  return () => ({ event: (_e, address) => (isCompletion(address) ? 'drop' : 'once') });
}

/** A step's (or branch's) compensation delivered twice, and its reply lost once, while `trigger` undoes the saga. */
export function compensationFaults(name: string, at: StepRef, def: Step, trigger: Trigger | undefined): ExploreScenario[] {
  if (!def.compensation || def.nonCompensable || !trigger) return [];
  const scenarios: ExploreScenario[] = [
    {
      name: `${name}'s compensation delivered twice`,
      expect: [SagaStatus.COMPENSATED],
      faults: (ctx) => combine({ command: once(isCommandOf(at, 'compensate'), 'twice', 'run') }, trigger(ctx)),
    },
  ];
  if (def.compensatedBy?.length)
    scenarios.push({
      name: `${name}'s compensation reply is lost once`,
      expect: [SagaStatus.COMPENSATED],
      faults: (ctx) => combine({ event: once(isReplyOf(at, 'compensated'), 'drop', 'once') }, trigger(ctx)),
    });
  return scenarios;
}

/** Its reply lost once, its command delivered twice: the step (or branch) must still complete. */
export function deliveryFaults(name: string, at: StepRef): ExploreScenario[] {
  return [
    {
      name: `${name}'s reply is lost once`,
      expect: [SagaStatus.COMPLETED],
      faults: () => ({ event: once(isReplyOf(at, 'completed', 'failed'), 'drop', 'once') }),
    },
    {
      name: `${name}'s command delivered twice`,
      expect: [SagaStatus.COMPLETED],
      faults: () => ({ command: once(isCommandOf(at, 'execute'), 'twice', 'run') }),
    },
  ];
}

function forwardScenarios(step: Step, stepIndex: number): ExploreScenario[] {
  const at = { stepIndex };
  const scenarios: ExploreScenario[] = step.forwardOnly
    ? [
        // Past the point of no return a step is retried until it succeeds: a fault delays it, never undoes it.
        { name: `${step.name} fails once`, expect: [SagaStatus.COMPLETED], faults: (ctx) => failing(at, ctx, { firstOnly: true }) },
        {
          name: `${step.name} does not answer its first attempt`,
          expect: [SagaStatus.COMPLETED],
          faults: () => ({ command: once(isCommandOf(at, 'execute'), 'drop', 'run') }),
        },
      ]
    : [
        { name: `${step.name} fails`, expect: [SagaStatus.COMPENSATED], faults: (ctx) => failing(at, ctx) },
        { name: `${step.name} never answers`, expect: [SagaStatus.COMPENSATED], faults: () => silent(at) },
      ];
  return [...scenarios, ...deliveryFaults(step.name, at)];
}

/**
 * A step that sends a command: its forward faults (fails, never answers, reply lost once, command delivered
 * twice; a forward-only step fails once and misses one deadline instead), then its compensation's (delivered
 * twice, reply lost once), undone by a later step's failure or, with none, by its own completions lost.
 */
export function stepScenarios(definition: SagaDefinition<unknown>, index: number): ExploreScenario[] {
  const step = definition.steps[index];
  const at = { stepIndex: index };
  const trigger = laterFailure(definition.steps, index) ?? (step.command ? ownCompletionsLost(at) : undefined);
  return [...(step.command ? forwardScenarios(step, index) : []), ...compensationFaults(step.name, at, step, trigger)];
}
