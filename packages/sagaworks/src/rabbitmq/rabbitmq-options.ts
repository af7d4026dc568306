import type { MessageClass } from '../transport/message-codec.js';

/** Options of `SagaRabbitMqModule.forRoot`: the same routing in every process, and each its own `service`. */
export interface SagaRabbitMqOptions {
  /** `amqp://user:password@host:5672`. */
  url: string;
  /** This process's service: it consumes the commands routed to it and the events it subscribes to. */
  service: string;
  /**
   * Which service handles which commands, for every service of the system. A command routed to another
   * service goes over the broker; one routed to this service, or not routed, runs here.
   */
  commands: Record<string, readonly MessageClass[]>;
  /**
   * The event classes that cross processes: what leaves this process through its outbox, and what it can read.
   * Where the saga runtime runs, its sagas' reply classes are added by themselves.
   */
  events?: readonly MessageClass[];
  /**
   * Events of other services this process consumes and publishes on its own event bus. Where the saga runtime
   * runs, its sagas' replies are consumed by themselves.
   */
  subscribe?: readonly MessageClass[];
  /**
   * What every service of the system subscribes to, the same table in every process (this service's entry adds
   * to `subscribe`). Each process declares every subscriber's event queue with its bindings, so an event
   * published before its subscriber ever started waits in that queue instead of being dropped.
   */
  subscriptions?: Record<string, readonly MessageClass[]>;
  /** Names of the exchanges and queues start with it. Default `sagaworks`. */
  prefix?: string;
  /** Unacknowledged messages per consumer. Default 32. */
  prefetch?: number;
  /** How long start-up waits for a first connect before it goes on (publishes fail until then). Default 10 000 ms. */
  connectWaitMs?: number;
  /** How often the outbox relay looks for events its fast path missed. Default 500 ms. */
  outboxPollMs?: number;
  /** Which handler errors are infrastructure faults (reported to the saga as such). Default: the runtime's. */
  isTransientError?: (error: unknown) => boolean;
}

export const SAGA_RABBITMQ_OPTIONS = Symbol('SAGA_RABBITMQ_OPTIONS');

/** The broker's names for one system, from its prefix. */
export function topologyNames(prefix = 'sagaworks') {
  return {
    commands: `${prefix}.commands`,
    events: `${prefix}.events`,
    dead: `${prefix}.dead`,
    deadLetters: `${prefix}.dead-letters`,
    commandQueue: (service: string) => `${prefix}.${service}.commands`,
    eventQueue: (service: string) => `${prefix}.${service}.events`,
    /** The routing key of a failure report for the service that sent the command. */
    failureKey: (service: string) => `${prefix}.command-failed.${service}`,
    /** The routing key of a delivery receipt for the service that sent the command. */
    receiptKey: (service: string) => `${prefix}.command-received.${service}`,
  };
}

/** The `type` of a failure report: a command's handler threw in the process that consumed it. */
export const COMMAND_FAILED = 'sagaworks.CommandFailed';

/** The `type` of a delivery receipt: a command reached the process that handles it. */
export const COMMAND_RECEIVED = 'sagaworks.CommandReceived';

/** Headers the transport sets on every message. */
export const ORIGIN_HEADER = 'x-sagaworks-origin';
