import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { ChoreographyDefinition, FlowExpectation } from '../definition/choreography-definition.js';
import type { SagaState } from '../domain/saga-state.js';
import type { ReplyType, SagaDefinition, SagaStepDefinition } from '../definition/saga-definition.js';
import { SagaTransitions, type StepDefaults } from '../domain/saga-transitions.js';
import type { ResolvedSagaModuleOptions } from '../saga-module-options.interface.js';
import { flowAsSaga, registerFlow, type RegisteredFlow } from './flow-registration.js';
import { RESOLVED_SAGA_OPTIONS } from './resolve-options.js';

export type ReplyKind = 'completed' | 'failed' | 'compensated';

/** A step (or a parallel stage's branch) a reply event class answers, and how. */
export interface ReplyAddress {
  stepIndex: number;
  branch?: number;
  kind: ReplyKind;
}

/** A definition as the runtime uses it: with its transitions, hash and reply index. */
export interface RegisteredSaga<TData = unknown> {
  definition: SagaDefinition<TData>;
  transitions: SagaTransitions<TData>;
  hash: string;
  /** The steps each reply event class answers (one class may answer several steps, say "credit" and "credit back"). */
  replies: Map<ReplyType, ReplyAddress[]>;
  /** Set for a choreographed flow: the tracker, not the orchestrator, moves it (it has no replies by saga id). */
  flow?: RegisteredFlow;
}

/** The shape of a definition, hashed: an instance records the hash of the definition it started under. */
function hashDefinition(definition: SagaDefinition<unknown>): string {
  const shape = definition.steps.map((s) => ({
    name: s.name,
    command: s.command?.type.name ?? null,
    compensation: s.compensation?.type.name ?? null,
    nonCompensable: !!s.nonCompensable,
    completedBy: (s.completedBy ?? []).map((e) => e.name),
    failedBy: (s.failedBy ?? []).map((e) => e.name),
    compensatedBy: (s.compensatedBy ?? []).map((e) => e.name),
    // Only present when used, so that a definition without waits or conditions keeps the hash it had before them.
    ...(s.wait ? { wait: { signal: s.wait.signal ?? null, remind: s.wait.remind?.command.type.name ?? null } } : {}),
    ...(s.when ? { when: true } : {}),
    ...(s.observed ? { observed: true } : {}),
    ...(s.parallel
      ? {
          parallel: s.parallel.map((b) => ({
            name: b.name,
            command: b.command?.type.name ?? null,
            compensation: b.compensation?.type.name ?? null,
          })),
        }
      : {}),
  }));
  return createHash('sha256')
    .update(JSON.stringify({ type: definition.type, shape }))
    .digest('hex')
    .slice(0, 16);
}

/** Every saga definition this app runs, by type. */
@Injectable()
export class SagaRegistry {
  private readonly sagas = new Map<string, RegisteredSaga>();
  private readonly defaults: StepDefaults;

  constructor(@Inject(RESOLVED_SAGA_OPTIONS) options: ResolvedSagaModuleOptions) {
    this.defaults = { timeoutMs: options.defaultStepTimeoutMs, retry: options.retry };
  }

  register(definition: SagaDefinition<unknown>): void {
    const existing = this.sagas.get(definition.type);
    if (existing && existing.definition !== definition) {
      throw new Error(`Two saga definitions share the type "${definition.type}"`);
    }
    this.sagas.set(definition.type, this.build(definition));
  }

  /** Registers a choreographed flow; its instances live in the saga store beside the sagas. */
  registerChoreography(flow: ChoreographyDefinition): void {
    const existing = this.sagas.get(flow.type);
    if (existing && existing.flow?.definition !== flow) throw new Error(`Two definitions share the type "${flow.type}"`);
    if (existing) return;
    const definition = flowAsSaga(flow) as SagaDefinition<unknown>;
    const registered = registerFlow(flow, this.defaults.timeoutMs, definition);
    const transitions = new SagaTransitions(definition, this.defaults);
    this.sagas.set(flow.type, { definition, transitions, hash: hashDefinition(definition), replies: new Map(), flow: registered });
  }

  /** What an instance of a choreographed flow still expects; undefined for an orchestrated saga's. */
  waitingFor(state: Pick<SagaState, 'type' | 'status' | 'steps'>): FlowExpectation[] | undefined {
    return this.sagas.get(state.type)?.flow?.transitions.expectations(state).missing;
  }

  /** The registered choreographed flows. */
  flows(): (RegisteredSaga & { flow: RegisteredFlow })[] {
    return this.all().filter((s): s is RegisteredSaga & { flow: RegisteredFlow } => s.flow !== undefined);
  }

  get<TData>(type: string): RegisteredSaga<TData> | undefined {
    return this.sagas.get(type) as RegisteredSaga<TData> | undefined;
  }

  require<TData>(type: string): RegisteredSaga<TData> {
    const saga = this.get<TData>(type);
    if (!saga) throw new Error(`Saga "${type}" is not registered: add its definition with SagaModule.forFeature([...])`);
    return saga;
  }

  all(): RegisteredSaga[] {
    return [...this.sagas.values()];
  }

  private build(definition: SagaDefinition<unknown>): RegisteredSaga {
    const names = new Set<string>();
    const replies = new Map<ReplyType, ReplyAddress[]>();
    const index = (owner: SagaStepDefinition<unknown>, address: Omit<ReplyAddress, 'kind'>) => {
      if (names.has(owner.name)) throw new Error(`Saga "${definition.type}" has two steps named "${owner.name}"`);
      names.add(owner.name);
      const add = (types: readonly ReplyType[] | undefined, kind: ReplyKind) => {
        for (const type of types ?? []) {
          const answers = replies.get(type) ?? [];
          // One class may complete a step and confirm its compensation (the saga's status tells which); it may
          // not both complete and fail the same step.
          const same = (a: ReplyAddress) => a.stepIndex === address.stepIndex && a.branch === address.branch;
          const clash = answers.some((a) => same(a) && (a.kind === kind || (a.kind !== 'compensated' && kind !== 'compensated')));
          if (clash) throw new Error(`Saga "${definition.type}": ${type.name} is named twice by step "${owner.name}"`);
          replies.set(type, [...answers, { ...address, kind }]);
        }
      };
      add(owner.completedBy, 'completed');
      add(owner.failedBy, 'failed');
      add(owner.compensatedBy, 'compensated');
    };
    definition.steps.forEach((step, stepIndex) => {
      index(step, { stepIndex });
      step.parallel?.forEach((b, branch) => index(b, { stepIndex, branch }));
    });
    return { definition, transitions: new SagaTransitions(definition, this.defaults), hash: hashDefinition(definition), replies };
  }
}
