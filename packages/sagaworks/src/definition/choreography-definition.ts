import type { IEvent } from '@nestjs/cqrs';

/** A class of events a choreographed flow observes. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type FlowEventType<E extends IEvent = IEvent> = new (...args: any[]) => E;

/** How one event class names the flow instance it belongs to: its business key (an order id, a booking ref). */
export interface FlowCorrelation<E extends IEvent = IEvent> {
  readonly event: FlowEventType<E>;
  key(this: void, event: E): string;
}

/** `correlate(ShipmentReturnedEvent, (e) => e.orderId)`: the key is read from the event, typed by its class. */
export function correlate<E extends IEvent>(event: FlowEventType<E>, key: (event: E) => string): FlowCorrelation {
  return { event, key: key };
}

/** One participant's milestone in a choreographed flow: the events that mark it done, failed, or undone. */
export interface FlowStepDefinition {
  /** Unique within the flow; appears in its steps and history like an orchestrated saga's step. */
  readonly name: string;
  /** The service that raises the step's events (the diagram and the inspector show it). */
  readonly participant?: string;
  readonly completedBy: readonly FlowEventType[];
  /** Events that fail the step: the participants before it are then expected to undo theirs. */
  readonly failedBy?: readonly FlowEventType[];
  /** Events that confirm the step was undone after a failure; a step without any has nothing to undo. */
  readonly compensatedBy?: readonly FlowEventType[];
}

/**
 * A choreographed flow: services react to each other's events and nobody sends a command. The tracker only
 * observes: it keeps one instance per business key in the saga store (same history, timeline and diagram as an
 * orchestrated saga) and ends it from the events it sees. Events may come in any order; an early one is kept.
 */
export interface ChoreographyDefinition {
  /** Stable name stored on every instance (`saga_instance.type`). */
  readonly type: string;
  /** The milestones, in the order the flow reaches them (compensation expected in reverse). */
  readonly steps: readonly FlowStepDefinition[];
  /** One per event class the steps name: how each finds its instance. */
  readonly correlate: readonly FlowCorrelation[];
  /**
   * How long the flow may wait for its next expected event before it is stalled; defaults to the module's
   * `defaultStepTimeoutMs`. A stalled flow publishes a `FlowStalledEvent` and waits on.
   */
  readonly deadlineMs?: number;
}

/** Declares a choreographed flow (register it with `SagaModule.forFeature([], { choreographies: [...] })`). */
export function defineChoreography(definition: ChoreographyDefinition): ChoreographyDefinition {
  return definition;
}

/** An event a stalled flow waits for: its step, who raises it, and whether it is the step's or its undoing. */
export interface FlowExpectation {
  step: string;
  participant: string | null;
  kind: 'completed' | 'compensated';
  /** The event classes that would answer, by name. */
  events: string[];
}

/**
 * Published when a flow's next expected event did not come by its deadline, again while it stays stalled (the
 * wait doubling, up to ten minutes), and when an operator retries it. The participant named in `waitingFor`
 * can act on it: do its part again, idempotently, and raise its event once more.
 */
export class FlowStalledEvent implements IEvent {
  constructor(
    readonly flow: string,
    readonly flowId: string,
    readonly key: string,
    readonly waitingFor: FlowExpectation[],
    /** 1 at the first stall; one more at each reminder or operator retry. */
    readonly nudge: number,
  ) {}
}
