import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { SagaDefinition, SagaStepDefinition } from '../definition/saga-definition.js';
import type { ICommand } from '@nestjs/cqrs';
import { SagaCommandDispatcher } from '../transport/saga-command-dispatcher.js';
import { SagaRegistry } from './saga-registry.js';

/** `@CommandHandler(X)` stores X under this key on the handler class (`@nestjs/cqrs`, decorators/constants). */
const COMMAND_HANDLER_METADATA = '__commandHandler__';

/** A saga definition that cannot run as declared; the message lists every problem found. */
export class SagaDefinitionError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Saga definitions are invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'SagaDefinitionError';
  }
}

/** Every command class a definition sends: its steps' and branches' commands, compensations and reminders. */
function commandTypesOf(definition: SagaDefinition<unknown>): (abstract new (...args: never[]) => object)[] {
  const steps = definition.steps.flatMap((s) => [s, ...(s.parallel ?? [])]);
  return steps.flatMap((s) => [s.command?.type, s.compensation?.type, s.wait?.remind?.command.type].filter((t) => t !== undefined));
}

/** Every problem in one definition, given the command classes that have a handler in this app. */
export function checkDefinition(definition: SagaDefinition<unknown>, handled: ReadonlySet<unknown>): string[] {
  const problems: string[] = [];
  const at = (step: string) => `${definition.type} / ${step}`;
  if (definition.steps.length === 0) problems.push(`${definition.type}: has no steps`);
  for (const step of definition.steps) {
    if (step.parallel) {
      problems.push(...checkStage(step).map((p) => `${at(step.name)}: ${p}`));
      for (const branch of step.parallel) problems.push(...checkStep(definition, branch, handled));
      continue;
    }
    problems.push(...checkStep(definition, step, handled));
  }
  const signals = definition.steps.map((s) => s.wait?.signal).filter((n): n is string => !!n);
  for (const name of new Set(signals.filter((n, i) => signals.indexOf(n) !== i)))
    problems.push(`${definition.type}: more than one step waits for the signal "${name}"`);
  const pivot = definition.steps.findIndex((s) => s.forwardOnly);
  if (pivot >= 0) {
    for (const later of definition.steps.slice(pivot + 1)) {
      if (!later.forwardOnly)
        problems.push(`${at(later.name)}: follows the forward-only step ${definition.steps[pivot].name}, so it must be forward-only too`);
    }
  }
  return problems;
}

/** The problems of one step (or one branch of a parallel stage). */
function checkStep(definition: SagaDefinition<unknown>, step: SagaStepDefinition<unknown>, handled: ReadonlySet<unknown>): string[] {
  const problems: string[] = [];
  const at = (name: string) => `${definition.type} / ${name}`;
  if (step.command && !handled.has(step.command.type))
    problems.push(`${at(step.name)}: no @CommandHandler is registered for ${step.command.type.name}`);
  if (step.compensation && !handled.has(step.compensation.type)) {
    problems.push(`${at(step.name)}: no @CommandHandler is registered for its compensation ${step.compensation.type.name}`);
  }
  if (step.command && !step.completedBy?.length) problems.push(`${at(step.name)}: names no completedBy event, so it can never complete`);
  if (!step.compensation && !step.nonCompensable && !step.forwardOnly && !step.wait)
    problems.push(`${at(step.name)}: has no compensation and is not marked nonCompensable`);
  if (step.compensation && step.nonCompensable) problems.push(`${at(step.name)}: is marked nonCompensable but has a compensation`);
  if (step.compensation && !step.compensatedBy?.length)
    problems.push(`${at(step.name)}: names no compensatedBy event, so its compensation can never finish`);
  if (!step.command && !step.compensation && !step.wait) problems.push(`${at(step.name)}: has neither a command nor a compensation`);
  if (step.wait) problems.push(...checkWait(definition, step, handled).map((p) => `${at(step.name)}: ${p}`));
  if (step.forwardOnly && step.failedBy?.length)
    problems.push(`${at(step.name)}: is forward-only but names failedBy events: past the point of no return a step cannot fail`);
  if (step.forwardOnly && step.compensation) problems.push(`${at(step.name)}: is forward-only but has a compensation`);
  if (step.timeoutMs !== undefined && !(step.timeoutMs > 0)) problems.push(`${at(step.name)}: timeoutMs must be a positive number`);
  if (step.retry?.maxAttempts !== undefined && !(step.retry.maxAttempts >= 1))
    problems.push(`${at(step.name)}: retry.maxAttempts must be at least 1`);
  return problems;
}

/** A parallel stage is only its branches; each branch is a step that sends a command, told apart by its replies. */
function checkStage(stage: SagaStepDefinition<unknown>): string[] {
  const problems: string[] = [];
  const branches = stage.parallel ?? [];
  if (branches.length === 0) problems.push('is parallel but has no branches');
  if (stage.command || stage.wait || stage.compensation || stage.completedBy?.length || stage.failedBy?.length)
    problems.push('is parallel: its branches send the commands and take the replies, the stage itself none');
  if (stage.forwardOnly) problems.push('is parallel and forward-only: a branch can fail');
  for (const b of branches) {
    if (!b.command) problems.push(`branch ${b.name} sends no command`);
    if (b.wait || b.parallel) problems.push(`branch ${b.name} may not wait or nest branches`);
  }
  const seen = new Map<unknown, string>();
  for (const b of branches)
    for (const type of [...(b.completedBy ?? []), ...(b.failedBy ?? []), ...(b.compensatedBy ?? [])]) {
      const other = seen.get(type);
      if (other && other !== b.name)
        problems.push(`branches ${other} and ${b.name} both take ${type.name}: give each branch its own reply classes`);
      seen.set(type, b.name);
    }
  return problems;
}

function checkWait(definition: SagaDefinition<unknown>, step: SagaStepDefinition<unknown>, handled: ReadonlySet<unknown>): string[] {
  const wait = step.wait as NonNullable<typeof step.wait>;
  const problems: string[] = [];
  if (step.command) problems.push('waits, so it sends no command: drop the command or the wait');
  if (!wait.signal && !step.completedBy?.length && !step.failedBy?.length)
    problems.push('waits for nothing: name a signal, or completedBy / failedBy events');
  if (!(wait.timeoutMs > 0)) problems.push('wait.timeoutMs must be a positive number');
  if (wait.remind) {
    if (!handled.has(wait.remind.command.type))
      problems.push(`no @CommandHandler is registered for its reminder ${wait.remind.command.type.name}`);
    if (!(wait.remind.afterMs > 0 && wait.remind.afterMs < wait.timeoutMs))
      problems.push('wait.remind.afterMs must be positive and before the deadline');
  }
  if (typeof wait.onTimeout === 'object') {
    const here = definition.steps.indexOf(step);
    const target = definition.steps.findIndex((s) => s.name === (wait.onTimeout as { goTo: string }).goTo);
    if (target <= here) problems.push(`wait.onTimeout.goTo "${wait.onTimeout.goTo}" must name a later step`);
  }
  if (step.forwardOnly) problems.push('is forward-only but waits: a wait can time out');
  return problems;
}

/**
 * Checks every registered definition against the app at start-up, before any saga runs: a broken definition
 * stops the app with one error listing every problem, instead of stranding instances at run time.
 */
@Injectable()
export class SagaContractCheck implements OnModuleInit {
  constructor(
    private readonly registry: SagaRegistry,
    private readonly discovery: DiscoveryService,
    private readonly dispatcher: SagaCommandDispatcher,
  ) {}

  onModuleInit(): void {
    const handled = new Set<unknown>();
    for (const wrapper of this.discovery.getProviders()) {
      const type = wrapper.metatype as object | null | undefined;
      const command: unknown = type && typeof type === 'function' ? Reflect.getMetadata(COMMAND_HANDLER_METADATA, type) : undefined;
      if (command) handled.add(command);
    }
    // A command a transport carries to another process is handled there.
    for (const type of this.registry.all().flatMap((saga) => commandTypesOf(saga.definition)))
      if (this.dispatcher.remoteTransports.some((t) => t.carries(Object.create(type.prototype as object) as ICommand))) handled.add(type);
    // A choreographed flow sends nothing: there is no contract to check.
    const problems = this.registry
      .all()
      .filter((saga) => !saga.flow)
      .flatMap((saga) => checkDefinition(saga.definition, handled));
    if (problems.length > 0) throw new SagaDefinitionError(problems);
  }
}
