import { randomUUID } from 'node:crypto';
import type { ICommand, IEvent } from '@nestjs/cqrs';
import type { FlowEventType } from '../definition/choreography-definition.js';
import type { FlowData, ObservedEvent } from '../domain/flow-transitions.js';
import type { Transition } from '../domain/saga-state.js';
import type { CompanionWrite, Lease, SagaStore } from '../persistence/saga-store.js';
import type { RegisteredFlow } from './flow-registration.js';
import type { SagaClock } from './saga-clock.js';
import type { Decide } from './saga-orchestrator.types.js';
import type { RegisteredSaga, SagaRegistry } from './saga-registry.js';

export interface FlowDeps {
  store: SagaStore;
  registry: SagaRegistry;
  clock: SagaClock;
  lease: (now: Date) => Lease;
  transition: <TData>(saga: RegisteredSaga<TData>, sagaId: string, decide: Decide<TData>) => Promise<ICommand[]>;
  /** A new instance is stored: the runtime remembers and reports it. */
  started: <TData>(saga: RegisteredSaga<TData>, t: Transition<TData>, now: Date) => void;
}

type Flow = RegisteredSaga<FlowData> & { flow: RegisteredFlow };

/** How an event reads in a flow's history: its class, and the reason a failure gives. */
function observed(event: IEvent): ObservedEvent {
  const reason = (event as { reason?: unknown }).reason;
  return { name: event.constructor.name, ...(typeof reason === 'string' ? { reason } : {}) };
}

/**
 * Applies observed events to choreographed flows: finds the instance by the event's business key (creating it
 * at the first event the tracker sees, whichever that is) and stores the transition through the runtime's one
 * conditional path, so a flow's history, hooks and ends are an orchestrated saga's.
 */
export class SagaFlows {
  constructor(private readonly deps: FlowDeps) {}

  /** The flows an event class belongs to. */
  flowsOf(type: FlowEventType): Flow[] {
    return this.deps.registry.flows().filter((s) => s.flow.events.has(type)) as Flow[];
  }

  /** Records `event` on the instance of every flow it belongs to; a duplicate changes nothing. */
  async record(event: IEvent): Promise<void> {
    for (const flow of this.flowsOf(event.constructor as FlowEventType)) await this.recordIn(flow, event);
  }

  /**
   * Starts a flow's instance from its first event in one statement with a write of the caller's (see
   * `SagaStore.insertWith`); resolves with the companion's rows, none when it wrote nothing.
   */
  async startWith<R>(event: IEvent, companion: CompanionWrite): Promise<R[]> {
    const [flow, ...others] = this.flowsOf(event.constructor as FlowEventType);
    if (!flow || others.length) throw new Error(`${event.constructor.name} must belong to exactly one flow to start one`);
    const { t, now } = this.first(flow, event);
    const rows = await this.deps.store.insertWith<R>(t, this.deps.lease(now), companion);
    if (rows.length) this.deps.started(flow, t, now);
    return rows;
  }

  private async recordIn(flow: Flow, event: IEvent): Promise<void> {
    const { key, addresses } = flow.flow.events.get(event.constructor as FlowEventType)!;
    const correlationId = key(event);
    let existing = await this.deps.store.findByCorrelation(flow.definition.type, correlationId);
    if (!existing) {
      const { t, now } = this.first(flow, event, correlationId);
      if (await this.deps.store.insert(t, this.deps.lease(now))) return this.deps.started(flow, t, now);
      // Another event of the same instance was stored first: apply this one to it.
      existing = await this.deps.store.findByCorrelation(flow.definition.type, correlationId);
      if (!existing) throw new Error(`flow ${flow.definition.type} ${correlationId} could not be stored and has no twin`);
    }
    await this.deps.transition(flow, existing.id, (s, now) => flow.flow.transitions.observe(s, addresses, observed(event), now));
  }

  /** A new instance with its first event applied. */
  private first(flow: Flow, event: IEvent, correlationId?: string): { t: Transition<FlowData>; now: Date } {
    const { key, addresses } = flow.flow.events.get(event.constructor as FlowEventType)!;
    const now = this.deps.clock.now();
    const init = { id: randomUUID(), correlationId: correlationId ?? key(event), definitionHash: flow.hash };
    const begun = flow.flow.transitions.begin(init, now);
    const applied = flow.flow.transitions.observe(begun.state, addresses, observed(event), now);
    return { t: { ...begun, state: (applied ?? begun).state, history: [...begun.history, ...(applied?.history ?? [])] }, now };
  }
}
