import type { ICommand, IEvent } from '@nestjs/cqrs';
import type { SagaDefinition, SagaStepDefinition } from '../definition/saga-definition.js';
import { SagaStatus } from '../domain/saga-status.js';

/** What the kit does with one command: run it, drop it, or run it and deliver it again once it was handled. */
export type CommandFault = 'run' | 'drop' | 'twice';
/** What the kit does with one published event. */
export type EventFault = 'once' | 'drop' | 'twice';

export interface FaultRules {
  command?: (command: ICommand) => CommandFault;
  event?: (event: IEvent) => EventFault;
}

/** What a scenario's faults may ask of the kit. */
export interface ScenarioContext {
  /** The saga under test, once `start` resolved. */
  sagaId(): string | undefined;
  /** Fails the step as its failure reply would. */
  failStep(sagaId: string, step: string): void;
}

export interface ExploreScenario {
  name: string;
  expect: SagaStatus[];
  /** Fresh rules for one run (a rule that fires once keeps its flag in this closure). */
  faults(ctx: ScenarioContext): FaultRules;
}

type Step = SagaStepDefinition<unknown>;

const sagaIdOf = (message: object): string | undefined => (message as { sagaId?: unknown }).sagaId as string | undefined;
const isCommandOf = (step: Step) => (c: ICommand) => c.constructor === step.command?.type;
const isCompensationOf = (step: Step) => (c: ICommand) => c.constructor === step.compensation?.type;
const isOneOf = (types: readonly unknown[] | undefined) => (e: IEvent) => (types ?? []).some((t) => e.constructor === t);

/** The first message `matches` gets `fault`; every other message goes through. */
function once<M, P extends 'run' | 'once'>(matches: (m: M) => boolean, fault: 'drop' | 'twice', pass: P): (m: M) => P | 'drop' | 'twice' {
  let fired = false;
  return (m: M) => {
    if (fired || !matches(m)) return pass;
    fired = true;
    return fault;
  };
}

/** The step's command is answered by a failure, every attempt (or only the first with `firstOnly`). */
function failing(step: Step, ctx: ScenarioContext, firstOnly = false): FaultRules['command'] {
  let failed = false;
  return (c) => {
    const id = sagaIdOf(c) ?? ctx.sagaId();
    if ((firstOnly && failed) || !isCommandOf(step)(c) || !id) return 'run';
    failed = true;
    ctx.failStep(id, step.name);
    return 'drop';
  };
}

/** Both rule sets at once: a message gets the first fault that is not a pass-through. */
function combine(a: FaultRules, b: FaultRules): FaultRules {
  return {
    command: (c) => {
      const fault = a.command?.(c) ?? 'run';
      return fault !== 'run' ? fault : (b.command?.(c) ?? 'run');
    },
    event: (e) => {
      const fault = a.event?.(e) ?? 'once';
      return fault !== 'once' ? fault : (b.event?.(e) ?? 'once');
    },
  };
}

/**
 * Faults that make the saga undo step `index` after it took effect: the first later step that can fail fails.
 * With none (the step is the last before the point of no return), the step's completing replies are lost until
 * it gives up, which undoes it as possibly done. `undefined` when nothing can make it compensate.
 */
function compensationTrigger(steps: readonly Step[], index: number): ((ctx: ScenarioContext) => FaultRules) | undefined {
  const later = steps.slice(index + 1).find((s) => s.command && !s.forwardOnly);
  if (later) return (ctx) => ({ command: failing(later, ctx) });
  const step = steps[index];
  if (!step.command) return undefined;
  const isCompletion = isOneOf(step.completedBy);
  return () => ({ event: (e) => (isCompletion(e) ? 'drop' : 'once') });
}

function forwardScenarios(step: Step): ExploreScenario[] {
  const scenarios: ExploreScenario[] = step.forwardOnly
    ? [
        // Past the point of no return a step is retried until it succeeds: a fault delays it, never undoes it.
        { name: `${step.name} fails once`, expect: [SagaStatus.COMPLETED], faults: (ctx) => ({ command: failing(step, ctx, true) }) },
        {
          name: `${step.name} does not answer its first attempt`,
          expect: [SagaStatus.COMPLETED],
          faults: () => ({ command: once(isCommandOf(step), 'drop', 'run') }),
        },
      ]
    : [
        { name: `${step.name} fails`, expect: [SagaStatus.COMPENSATED], faults: (ctx) => ({ command: failing(step, ctx) }) },
        {
          name: `${step.name} never answers`,
          expect: [SagaStatus.COMPENSATED],
          faults: () => ({ command: (c) => (isCommandOf(step)(c) ? 'drop' : 'run') }),
        },
      ];
  const replies = isOneOf([...(step.completedBy ?? []), ...(step.failedBy ?? [])]);
  scenarios.push(
    { name: `${step.name}'s reply is lost once`, expect: [SagaStatus.COMPLETED], faults: () => ({ event: once(replies, 'drop', 'once') }) },
    {
      name: `${step.name}'s command delivered twice`,
      expect: [SagaStatus.COMPLETED],
      faults: () => ({ command: once(isCommandOf(step), 'twice', 'run') }),
    },
  );
  return scenarios;
}

function compensationScenarios(steps: readonly Step[], index: number): ExploreScenario[] {
  const step = steps[index];
  const trigger = compensationTrigger(steps, index);
  if (!step.compensation || step.nonCompensable || !trigger) return [];
  const scenarios: ExploreScenario[] = [
    {
      name: `${step.name}'s compensation delivered twice`,
      expect: [SagaStatus.COMPENSATED],
      faults: (ctx) => combine({ command: once(isCompensationOf(step), 'twice', 'run') }, trigger(ctx)),
    },
  ];
  if (step.compensatedBy?.length)
    scenarios.push({
      name: `${step.name}'s compensation reply is lost once`,
      expect: [SagaStatus.COMPENSATED],
      faults: (ctx) => combine({ event: once(isOneOf(step.compensatedBy), 'drop', 'once') }, trigger(ctx)),
    });
  return scenarios;
}

/**
 * Every run `exploreFailures` makes, in order: no fault; then per step, its forward faults (fails, never
 * answers, reply lost once, command delivered twice; a forward-only step fails once and misses one deadline
 * instead) and its compensation's faults (delivered twice, reply lost once); last, every event twice.
 */
export function exploreScenarios(definition: SagaDefinition<unknown>): ExploreScenario[] {
  const scenarios: ExploreScenario[] = [{ name: 'no fault', expect: [SagaStatus.COMPLETED], faults: () => ({}) }];
  definition.steps.forEach((step, index) => {
    if (step.command) scenarios.push(...forwardScenarios(step));
    scenarios.push(...compensationScenarios(definition.steps, index));
  });
  scenarios.push({ name: 'every event delivered twice', expect: [SagaStatus.COMPLETED], faults: () => ({ event: () => 'twice' }) });
  return scenarios;
}
