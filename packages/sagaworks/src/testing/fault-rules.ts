import type { ICommand, IEvent } from '@nestjs/cqrs';
import type { SagaState } from '../domain/saga-state.js';
import type { SagaStatus } from '../domain/saga-status.js';
import type { SignalOutcome } from '../domain/saga-wait-transitions.js';
import type { ReplyAddress, ReplyKind } from '../runtime/saga-registry.js';

/** A step of the saga, or a branch of one of its parallel stages. */
export interface StepRef {
  stepIndex: number;
  branch?: number;
}

/** What a command was sent for: a step's (or branch's) action, its compensation, or a wait's reminder. */
export interface CommandAddress extends StepRef {
  kind: 'execute' | 'compensate' | 'remind';
}

/**
 * What the kit does with one command: run it, drop it, run it and deliver it again once it was handled, or hold
 * it until the app is quiet (then run it).
 */
export type CommandFault = 'run' | 'drop' | 'twice' | 'hold';
/** What the kit does with one published event (`hold`: publish it once the app is quiet). */
export type EventFault = 'once' | 'drop' | 'twice' | 'hold';

/** A wait step of the saga under test was reached (it waits for its signal) or its deadline ended it. */
export interface WaitChange {
  sagaId: string;
  stepIndex: number;
  to: 'waiting' | 'timed out';
}

export interface FaultRules {
  /** `address` is what the saga sent the command for (undefined for a command of another saga). */
  command?: (command: ICommand, address: CommandAddress | undefined) => CommandFault;
  /** `address` is the step (or branch) the reply answers, by the registry's index (undefined for other events). */
  event?: (event: IEvent, address: ReplyAddress | undefined) => EventFault;
  /** Returns true when the rule took care of the change; otherwise the kit approves a reached wait once quiet. */
  wait?: (change: WaitChange) => boolean;
  /** What the run did wrong that the saga's record cannot show (say, a signal's answer), read after the run. */
  problems?: (state: SagaState) => string[];
}

export type SignalChoice = 'approve' | 'reject';

/** What a scenario's faults may ask of the kit. */
export interface ScenarioContext {
  /** The saga under test, once `start` resolved. */
  sagaId(): string | undefined;
  /** Fails the step (or branch) as its failure reply would. */
  fail(sagaId: string, at: StepRef): void;
  /** Sends wait step `stepIndex`'s signal through `SagaSignals`, with the payload of `signals` for `choice`. */
  signal(sagaId: string, stepIndex: number, choice: SignalChoice): Promise<SignalOutcome | 'not-found'>;
  /** Runs `work` once nothing is in flight, before the clock moves on (the kit waits for what it returns). */
  whenQuiet(work: () => unknown): void;
  /** The id of the child saga that child step `stepIndex` of saga `parentId` started, once the kit saw it stored. */
  childOf(parentId: string, stepIndex: number): string | undefined;
  /** Fails another saga's (a child's) current step, as its failure reply would. */
  failCurrentStep(sagaId: string): void;
}

export interface ExploreScenario {
  name: string;
  expect: SagaStatus[];
  /** Fresh rules for one run (a rule that fires once keeps its flag in this closure). */
  faults(ctx: ScenarioContext): FaultRules;
}

export const sagaIdOf = (message: object): string | undefined => (message as { sagaId?: unknown }).sagaId as string | undefined;

/** Whether `address` is `at`'s, of one of `kinds`. */
export function isAt<K extends string>(
  at: StepRef,
  ...kinds: K[]
): (address: { stepIndex: number; branch?: number; kind: K } | undefined) => boolean {
  return (address) => !!address && address.stepIndex === at.stepIndex && address.branch === at.branch && kinds.includes(address.kind);
}

export const isReplyOf = (at: StepRef, ...kinds: ReplyKind[]) => isAt<ReplyKind>(at, ...kinds);
export const isCommandOf = (at: StepRef, ...kinds: CommandAddress['kind'][]) => isAt<CommandAddress['kind']>(at, ...kinds);

/** The first message `matches` gets `fault`; every other message goes through. */
export function once<M, A, P extends 'run' | 'once'>(
  matches: (address: A) => boolean,
  fault: 'drop' | 'twice' | 'hold',
  pass: P,
): (message: M, address: A) => P | 'drop' | 'twice' | 'hold' {
  let fired = false;
  return (_message, address) => {
    if (fired || !matches(address)) return pass;
    fired = true;
    return fault;
  };
}

/** Every rule set at once: a message gets the first fault that is not a pass-through; problems add up. */
export function combine(...all: FaultRules[]): FaultRules {
  return {
    command: (c, a) => {
      for (const rules of all) {
        const fault = rules.command?.(c, a) ?? 'run';
        if (fault !== 'run') return fault;
      }
      return 'run';
    },
    event: (e, a) => {
      for (const rules of all) {
        const fault = rules.event?.(e, a) ?? 'once';
        if (fault !== 'once') return fault;
      }
      return 'once';
    },
    wait: (change) => all.some((rules) => rules.wait?.(change) === true),
    problems: (state) => all.flatMap((rules) => rules.problems?.(state) ?? []),
  };
}

/** The step's (or branch's) command is answered by a failure, every attempt (or only the first with `firstOnly`). */
export function failing(at: StepRef, ctx: ScenarioContext, options: { firstOnly?: boolean; whenQuiet?: boolean } = {}): FaultRules {
  let failed = false;
  const isAction = isCommandOf(at, 'execute');
  return {
    command: (c, address) => {
      const id = sagaIdOf(c) ?? ctx.sagaId();
      if ((options.firstOnly && failed) || !isAction(address) || !id) return 'run';
      failed = true;
      if (options.whenQuiet) ctx.whenQuiet(() => ctx.fail(id, at));
      else ctx.fail(id, at);
      return 'drop';
    },
  };
}

/** The step's (or branch's) command is never answered: every attempt is dropped. */
export function silent(at: StepRef): FaultRules {
  const isAction = isCommandOf(at, 'execute');
  return { command: (_c, address) => (isAction(address) ? 'drop' : 'run') };
}
