import type { IEvent } from '@nestjs/cqrs';
import type { ChoreographyDefinition, FlowEventType } from '../definition/choreography-definition.js';
import type { ReplyType, SagaDefinition } from '../definition/saga-definition.js';
import { FlowTransitions, type FlowData, type FlowEventAddress } from '../domain/flow-transitions.js';

/** A choreographed flow as the runtime uses it: its transitions, and for each event class its key and steps. */
export interface RegisteredFlow {
  definition: ChoreographyDefinition;
  transitions: FlowTransitions;
  events: Map<FlowEventType, { key: (event: IEvent) => string; addresses: FlowEventAddress[] }>;
}

/**
 * The flow as a saga definition without commands, so the store, the inspector, the diagram and the metrics
 * treat its instances as they treat an orchestrated saga's.
 */
export function flowAsSaga(flow: ChoreographyDefinition): SagaDefinition<FlowData> {
  // The event classes are named for the diagram and the inspector only: the tracker routes them by key.
  const named = (types: readonly FlowEventType[] | undefined) => types as readonly ReplyType[] | undefined;
  return {
    type: flow.type,
    steps: flow.steps.map((s) => ({
      name: s.name,
      observed: { participant: s.participant },
      completedBy: named(s.completedBy),
      failedBy: named(s.failedBy),
      compensatedBy: named(s.compensatedBy),
      nonCompensable: !s.compensatedBy?.length,
    })),
  };
}

/** Checks a flow and indexes its events; throws on a flow that could not be tracked as declared. */
export function registerFlow(
  flow: ChoreographyDefinition,
  defaultDeadlineMs: number,
  asSaga: SagaDefinition<unknown> = flowAsSaga(flow),
): RegisteredFlow {
  const where = `Choreography "${flow.type}"`;
  const keys = new Map(flow.correlate.map((c) => [c.event, c.key]));
  if (keys.size !== flow.correlate.length) throw new Error(`${where} correlates one event class twice`);
  const events: RegisteredFlow['events'] = new Map();
  const names = new Set<string>();
  flow.steps.forEach((step, stepIndex) => {
    if (names.has(step.name)) throw new Error(`${where} has two steps named "${step.name}"`);
    names.add(step.name);
    if (!step.completedBy.length) throw new Error(`${where}: step "${step.name}" names no completedBy event`);
    const add = (types: readonly FlowEventType[] | undefined, kind: FlowEventAddress['kind']) => {
      for (const type of types ?? []) {
        const key = keys.get(type);
        if (!key) throw new Error(`${where}: ${type.name} has no key: add correlate(${type.name}, (e) => ...)`);
        const entry = events.get(type) ?? { key, addresses: [] };
        if (entry.addresses.some((a) => a.stepIndex === stepIndex))
          throw new Error(`${where}: ${type.name} is named twice by step "${step.name}"`);
        entry.addresses.push({ stepIndex, kind });
        events.set(type, entry);
      }
    };
    add(step.completedBy, 'completed');
    add(step.failedBy, 'failed');
    add(step.compensatedBy, 'compensated');
  });
  for (const type of keys.keys()) if (!events.has(type)) throw new Error(`${where}: ${type.name} is correlated but no step names it`);
  return {
    definition: flow,
    transitions: new FlowTransitions(flow, flow.deadlineMs ?? defaultDeadlineMs, asSaga),
    events,
  };
}
