import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { IEvent } from '@nestjs/cqrs';
import type { Subscription } from 'rxjs';
import { FlowStalledEvent } from '../definition/choreography-definition.js';
import type { StoredTransition } from '../domain/saga-state.js';
import type { ResolvedSagaModuleOptions } from '../saga-module-options.interface.js';
import { SagaOutbox } from '../transport/outbox/saga-outbox.js';
import { SagaEventReceivers } from '../transport/saga-event-receivers.js';
import { RESOLVED_SAGA_OPTIONS } from './resolve-options.js';
import { asFlowState } from '../domain/flow-transitions.js';
import { SagaOrchestrator } from './saga-orchestrator.js';
import { SagaRegistry } from './saga-registry.js';
import { waitOutInfrastructure } from './wait-out-infrastructure.js';

const nudges = (t: StoredTransition['before']): number => (t ? (asFlowState(t).data?.nudges ?? 0) : 0);

/**
 * Observes the events of every registered choreographed flow and records them, and nudges a stalled flow's next
 * participant. It takes events as a receiver (`SagaEventReceivers`): over a broker an event is acknowledged only
 * once it is recorded; in one process the outbox hands it over as it publishes it. An infrastructure fault is
 * waited out, never dropped. The tracker never sends a command.
 */
@Injectable()
export class ChoreographyTracker implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Choreography');
  private readonly undo: (() => void)[] = [];
  private subscription?: Subscription;
  private stopped = false;

  constructor(
    private readonly orchestrator: SagaOrchestrator,
    private readonly registry: SagaRegistry,
    private readonly receivers: SagaEventReceivers,
    private readonly outbox: SagaOutbox,
    @Inject(RESOLVED_SAGA_OPTIONS) private readonly options: ResolvedSagaModuleOptions,
  ) {}

  onModuleInit(): void {
    const types = new Set(this.registry.flows().flatMap((s) => [...s.flow.events.keys()]));
    for (const type of types) this.undo.push(this.receivers.on(type, (event) => this.record(event)));
    if (types.size) this.subscription = this.orchestrator.transitions$.subscribe((t) => this.nudgeIfAsked(t));
  }

  onModuleDestroy(): void {
    this.stopped = true;
    this.subscription?.unsubscribe();
    for (const undo of this.undo.splice(0)) undo();
  }

  /** Records one event on its flows; resolves once stored (a receiver's promise is its effect). */
  record(event: IEvent): Promise<void> {
    return waitOutInfrastructure(() => this.orchestrator.recordFlowEvent(event), {
      isTransient: (error) => this.options.isTransientError(error),
      stopped: () => this.stopped,
      onWait: (error, waitMs) =>
        this.logger.warn(`${event.constructor.name} waits on infrastructure, recorded again in ${waitMs} ms: ${(error as Error).message}`),
    });
  }

  /** A stored transition that added a nudge (a stall, a reminder, a retry) publishes the flow's stall event. */
  private nudgeIfAsked({ before, after }: StoredTransition): void {
    const flow = this.registry.get(after.type)?.flow;
    if (!flow || nudges(after) <= nudges(before)) return;
    const event = new FlowStalledEvent(after.type, after.id, after.correlationId, flow.transitions.expectations(after).next, nudges(after));
    // Lost with a fault or a crash, it is published again at the flow's next reminder.
    this.outbox
      .publish(() => Promise.resolve(event))
      .catch((error: unknown) => this.logger.warn(`flow ${after.id}: stall event not published: ${(error as Error).message}`));
  }
}
