import type { ICommand, IEvent } from '@nestjs/cqrs';
import type { CommandSpec, ReplyType, SagaContext, SagaStepDefinition } from '../definition/saga-definition.js';
import type { SagaState, StepState } from '../domain/saga-state.js';
import { SagaStatus, StepStatus } from '../domain/saga-status.js';
import type { RegisteredSaga, ReplyAddress } from '../runtime/saga-registry.js';
import { type CommandAddress, sagaIdOf } from './fault-rules.js';

interface Sendable {
  address: CommandAddress;
  spec: CommandSpec<unknown>;
  state: (s: SagaState) => StepState | undefined;
}

/** Every command the definition can send, with what it is sent for. */
function sendables(saga: RegisteredSaga): Sendable[] {
  const found: Sendable[] = [];
  const add = (def: SagaStepDefinition<unknown>, stepIndex: number, branch: number | undefined) => {
    const state = (s: SagaState) => (branch === undefined ? s.steps[stepIndex] : s.steps[stepIndex]?.branches?.[branch]);
    const at = branch === undefined ? { stepIndex } : { stepIndex, branch };
    if (def.command) found.push({ address: { ...at, kind: 'execute' }, spec: def.command, state });
    if (def.compensation) found.push({ address: { ...at, kind: 'compensate' }, spec: def.compensation, state });
    if (def.wait?.remind) found.push({ address: { ...at, kind: 'remind' }, spec: def.wait.remind.command, state });
  };
  saga.definition.steps.forEach((step, i) => {
    add(step, i, undefined);
    step.parallel?.forEach((b, k) => add(b, i, k));
  });
  return found;
}

const statusFor: Record<CommandAddress['kind'], StepState['status']> = {
  execute: StepStatus.EXECUTING,
  compensate: StepStatus.COMPENSATING,
  remind: StepStatus.WAITING,
};

/** Best effort: a value as JSON, or null when it cannot be (a cycle, a BigInt). */
function json(value: unknown): string | null {
  try {
    return JSON.stringify(value);
  } catch {
    return null;
  }
}

/**
 * Tells what a message of the saga under test is for, as the runtime does: a reply by the registry's index of
 * reply classes (`ReplyAddress[]`) and the saga's state (the step in progress, and whether it is being undone),
 * so that one class answering several steps, or a step and its compensation, is told apart; a command by its
 * class and, when several steps or branches send the same class, by the state and what each would have built.
 * The state is the last one stored, fed by the orchestrator's `transitions$` (stored before commands leave).
 */
export class MessageAddresses {
  private readonly commands: Sendable[];

  constructor(
    private readonly saga: RegisteredSaga,
    private readonly states: ReadonlyMap<string, SagaState>,
  ) {
    this.commands = sendables(saga);
  }

  private stateOf(message: object): SagaState | undefined {
    const id = sagaIdOf(message);
    const state = id ? this.states.get(id) : undefined;
    return state?.type === this.saga.definition.type ? state : undefined;
  }

  /** The message is for another saga the kit saw (say, a child saga sending the same command class). */
  private ofOtherSaga(message: object): boolean {
    const id = sagaIdOf(message);
    const state = id ? this.states.get(id) : undefined;
    return !!state && state.type !== this.saga.definition.type;
  }

  /** The step (or branch) a reply answers and how; the orchestrator's own choice among the class's addresses. */
  ofReply(event: IEvent): ReplyAddress | undefined {
    const candidates = this.saga.replies.get(event.constructor as ReplyType);
    if (!candidates?.length || typeof sagaIdOf(event) !== 'string' || this.ofOtherSaga(event)) return undefined;
    const state = this.stateOf(event);
    if (!state) return candidates.length === 1 ? candidates[0] : undefined;
    const undoing = state.status === SagaStatus.COMPENSATING;
    return (
      candidates.find((r) => r.stepIndex === state.stepIndex && (r.kind === 'compensated') === undoing) ??
      candidates.find((r) => r.stepIndex === state.stepIndex) ??
      candidates[0]
    );
  }

  /** What a command was sent for. */
  ofCommand(command: ICommand): CommandAddress | undefined {
    if (this.ofOtherSaga(command)) return undefined;
    const byClass = this.commands.filter((c) => c.spec.type === command.constructor);
    if (byClass.length <= 1) return byClass[0]?.address;
    const state = this.stateOf(command);
    if (!state) return byClass[0].address;
    const live = byClass.filter((c) => c.state(state)?.status === statusFor[c.address.kind]);
    const pool = live.length ? live : byClass;
    if (pool.length === 1) return pool[0].address;
    // Several send this class now (say, one `Book` command for every branch): the one that builds this command.
    const sent = json(command);
    const built = pool.find((c) => {
      const step = c.state(state);
      const attempt = (c.address.kind === 'compensate' ? step?.compensationAttempts : step?.attempts) || 1;
      const ctx: SagaContext<unknown> = {
        sagaId: state.id,
        correlationId: state.correlationId,
        data: state.data as Readonly<unknown>,
        attempt,
        ...(state.failureReason ? { failureReason: state.failureReason } : {}),
      };
      try {
        return sent !== null && json(c.spec.create(ctx)) === sent;
      } catch {
        return false;
      }
    });
    return (built ?? pool[0]).address;
  }
}
