import { randomUUID } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
  Optional,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { EventBus, type ICommand, type IEvent } from '@nestjs/cqrs';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { Channel } from 'amqplib';
import type { DataSource } from 'typeorm';
import type { ReplyType } from '../definition/saga-definition.js';
import { isTerminal } from '../domain/saga-status.js';
import { isTransientInfrastructureError } from '../runtime/infrastructure-error.js';
import { SagaRegistry } from '../runtime/saga-registry.js';
import { type MessageClass, MessageCodec } from '../transport/message-codec.js';
import { OutboxPoller } from '../transport/outbox/outbox-poller.js';
import { type OutboxRow, SagaOutbox } from '../transport/outbox/saga-outbox.js';
import { SagaCommandDispatcher } from '../transport/saga-command-dispatcher.js';
import { SagaEventReceivers } from '../transport/saga-event-receivers.js';
import { SagaHooks } from '../transport/saga-hooks.js';
import { sagaIdOf } from '../transport/saga-message.js';
import type { SagaTransport } from '../transport/saga-transport.js';
import { RabbitMqConsumers } from './rabbitmq-consumers.js';
import { RabbitMqLink } from './rabbitmq-link.js';
import { ORIGIN_HEADER, SAGA_RABBITMQ_OPTIONS, type SagaRabbitMqOptions, topologyNames } from './rabbitmq-options.js';

/** How long a received reply may take to be applied before its message is acked anyway (it is idempotent). */
const APPLY_WAIT_MS = 30_000;

/** A deadline that passed this soon after the broker came back is excused: the replies it held were on their way. */
const OUTAGE_GRACE_MS = 15_000;

/** Sagas whose undelivered commands are remembered at most. */
const MAX_TRACKED_SAGAS = 100_000;

/**
 * Commands and events over RabbitMQ. Commands go to a durable queue per service (a direct exchange), events to
 * a topic exchange by class name, each service reading its own durable queue; every publish waits for the
 * broker's confirm and every consumer acks by hand. Events leave a process only through its outbox. Where the
 * saga runtime runs, the saga row is that side's outbox: a command goes out after its transition committed,
 * and one the broker never confirmed is sent again (the runtime waits the fault out, unspent).
 */
@Injectable()
export class RabbitMqSagaTransport implements SagaTransport, OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  readonly name = 'rabbitmq';
  private readonly logger = new Logger('RabbitMq');
  private readonly names: ReturnType<typeof topologyNames>;
  private readonly codec = new MessageCodec();
  private readonly routes = new Map<MessageClass, string>();
  private readonly replyWaiters = new WeakMap<object, () => void>();
  /** The reply classes of this process's sagas, read once the definitions are registered (module init). */
  private replyTypes: ReadonlySet<ReplyType> = new Set();
  /** What each service consumes, this one's own replies included: the queues and bindings every connect declares. */
  private subscriptions: Record<string, readonly MessageClass[]> = {};
  /**
   * Per saga, the message id of the latest send of each command class still waiting for its receipt. Only the
   * latest: a resend supersedes the one before, whose receipt may have been lost (the broker was down as it
   * went out), so a lost receipt cannot excuse the saga's deadlines for good.
   */
  private readonly undelivered = new Map<string, Map<string, string>>();
  private readonly link: RabbitMqLink;
  private readonly poller: OutboxPoller;
  private readonly consumers: RabbitMqConsumers;
  private readonly undo: (() => void)[] = [];

  constructor(
    @Inject(SAGA_RABBITMQ_OPTIONS) private readonly options: SagaRabbitMqOptions,
    private readonly dispatcher: SagaCommandDispatcher,
    private readonly hooks: SagaHooks,
    private readonly outbox: SagaOutbox,
    private readonly eventBus: EventBus,
    receivers: SagaEventReceivers,
    private readonly moduleRef: ModuleRef,
    @Optional() private readonly registry?: SagaRegistry,
  ) {
    this.names = topologyNames(options.prefix);
    const dataSource = () => this.moduleRef.get<DataSource>(getDataSourceToken(), { strict: false });
    this.poller = new OutboxPoller({
      dataSource,
      publish: (rows) => this.publishEvents(rows),
      logger: this.logger,
      pollMs: options.outboxPollMs,
    });
    this.consumers = new RabbitMqConsumers({
      service: options.service,
      names: this.names,
      codec: this.codec,
      publish: (exchange, key, body, properties) => this.link.publish(exchange, key, body, properties),
      logger: this.logger,
      eventBus,
      isTransient: options.isTransientError ?? isTransientInfrastructureError,
      handle: (command) => this.dispatcher.handleHere(command),
      failed: (command, error) => this.dispatcher.failed(command, error),
      applied: (event) => this.applied(event),
      received: (sagaId, messageId) => this.delivered(sagaId, messageId),
      receivers,
    });
    for (const [service, commands] of Object.entries(options.commands))
      for (const command of commands) {
        this.routes.set(command, service);
        this.codec.add(command);
      }
    // Registered as soon as it exists: the start-up checks see which commands it carries, and nothing the
    // runtime resumes at bootstrap runs here by mistake.
    this.undo.push(this.dispatcher.use(this));
    this.link = new RabbitMqLink({
      url: options.url,
      logger: this.logger,
      prefetch: options.prefetch ?? 32,
      topology: (channel) => this.declare(channel),
      consumers: [
        ...(this.handlesCommands()
          ? [{ queue: this.names.commandQueue(options.service), handle: this.consumers.onCommand.bind(this.consumers) }]
          : []),
        { queue: this.names.eventQueue(options.service), handle: this.consumers.onEvent.bind(this.consumers) },
      ],
    });
  }

  carries(command: ICommand): boolean {
    const service = this.routes.get(command.constructor as MessageClass);
    return service !== undefined && service !== this.options.service;
  }

  async send(command: ICommand): Promise<void> {
    const service = this.routes.get(command.constructor as MessageClass) as string;
    const { type, body } = this.codec.encode(command);
    const messageId = randomUUID();
    const sagaId = sagaIdOf(command);
    if (sagaId) this.expectReceipt(sagaId, type, messageId);
    try {
      await this.link.publish(this.names.commands, service, body, {
        type,
        messageId,
        headers: { ...this.hooks.headersFor(command), [ORIGIN_HEADER]: this.options.service },
      });
    } catch (error) {
      // Never sent: no receipt will come, and waiting for one would excuse this saga's every later deadline.
      if (sagaId) this.delivered(sagaId, messageId);
      throw error;
    }
  }

  /** Whether the broker connection is up now, for a readiness probe. */
  get connected(): boolean {
    return this.link.connected;
  }

  excuseForDeadline(sagaId: string, dueAt: Date): string | undefined {
    if ((this.undelivered.get(sagaId)?.size ?? 0) > 0) return 'its command was still waiting in the queue of a service that is down';
    // A reply held in an outbox while the broker was down arrives within moments of its return.
    const outage = this.link.lastOutage;
    if (outage && (outage.endedAt === null || outage.endedAt > dueAt.getTime() - OUTAGE_GRACE_MS)) return 'the broker could not be reached';
    return undefined;
  }

  async onModuleInit(): Promise<void> {
    this.replyTypes = new Set(this.registry?.all().flatMap((saga) => [...saga.replies.keys()]) ?? []);
    const service = this.options.service;
    const own = [...(this.options.subscriptions?.[service] ?? []), ...(this.options.subscribe ?? []), ...this.replyTypes];
    this.subscriptions = { ...this.options.subscriptions, [service]: own };
    for (const event of [...(this.options.events ?? []), ...Object.values(this.subscriptions).flat()])
      if (!this.codec.has(event)) this.codec.add(event);
    // What leaves: the events this service publishes, and what another service subscribes to. Its sagas' own
    // replies, raised by handlers here, stay here.
    const leaving = new Set<MessageClass>([
      ...(this.options.events ?? []),
      ...Object.entries(this.subscriptions).flatMap(([subscriber, types]) => (subscriber === service ? [] : types)),
    ]);
    this.undo.push(
      this.outbox.useRelay({
        codec: this.codec,
        leaves: (event) => leaving.has(event.constructor as MessageClass),
        committed: (rows) => void this.poller.publishCommitted(rows),
      }),
    );
    this.undo.push(
      this.hooks.register({
        // A saga that moved to another step (or ended) has its earlier commands answered: a receipt of theirs
        // that was lost (the broker was down as it went out) must not excuse the new step's deadline.
        onTransition: ({ before, after }) => {
          if (isTerminal(after.status) || before?.stepIndex !== after.stepIndex) this.undelivered.delete(after.id);
        },
        aroundReply: async (reply, next) => {
          try {
            return await next();
          } finally {
            this.replyWaiters.get(reply)?.();
          }
        },
      }),
    );
    await this.link.start(this.options.connectWaitMs ?? 10_000);
    this.poller.start();
  }

  /**
   * Consumes from here on. `CqrsModule.forRoot()` is global, and Nest runs global modules' bootstrap hooks
   * first, so the command handlers and the saga streams are registered by now.
   */
  onApplicationBootstrap(): Promise<void> {
    return this.link.startConsuming();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.poller.stop();
    await this.link.stop();
    for (const undo of this.undo.splice(0)) undo();
  }

  private expectReceipt(sagaId: string, type: string, messageId: string): void {
    const pending = this.undelivered.get(sagaId) ?? new Map<string, string>();
    pending.set(type, messageId);
    this.undelivered.set(sagaId, pending);
    // Bounded: the oldest sagas' receipts are forgotten first (they then count as delivered).
    if (this.undelivered.size > MAX_TRACKED_SAGAS) this.undelivered.delete(this.undelivered.keys().next().value as string);
  }

  private delivered(sagaId: string, messageId: string): void {
    const pending = this.undelivered.get(sagaId);
    if (!pending) return;
    for (const [type, id] of pending) if (id === messageId) pending.delete(type);
    if (pending.size === 0) this.undelivered.delete(sagaId);
  }

  private handlesCommands(): boolean {
    return (this.options.commands[this.options.service]?.length ?? 0) > 0;
  }

  private async declare(channel: Channel): Promise<void> {
    const n = this.names;
    await channel.assertExchange(n.dead, 'fanout', { durable: true });
    await channel.assertQueue(n.deadLetters, { durable: true });
    await channel.bindQueue(n.deadLetters, n.dead, '');
    await channel.assertExchange(n.commands, 'direct', { durable: true });
    await channel.assertExchange(n.events, 'topic', { durable: true });
    // Every service's command queue, declared by every sender too, so no command is ever unroutable.
    for (const service of Object.keys(this.options.commands)) {
      await channel.assertQueue(n.commandQueue(service), { durable: true, deadLetterExchange: n.dead });
      await channel.bindQueue(n.commandQueue(service), n.commands, service);
    }
    const service = this.options.service;
    const own = n.eventQueue(service);
    await channel.assertQueue(own, { durable: true, deadLetterExchange: n.dead });
    await channel.bindQueue(own, n.events, n.failureKey(service));
    await channel.bindQueue(own, n.events, n.receiptKey(service));
    // Other services' queues too, so what they subscribe to waits for them even before they first start.
    for (const [subscriber, types] of Object.entries(this.subscriptions)) {
      const queue = n.eventQueue(subscriber);
      if (subscriber !== service) await channel.assertQueue(queue, { durable: true, deadLetterExchange: n.dead });
      for (const type of new Set(types)) {
        const name = this.codec.nameOfClass(type);
        if (name) await channel.bindQueue(queue, n.events, name);
      }
    }
  }

  private async publishEvents(rows: OutboxRow[]): Promise<void> {
    await Promise.all(
      rows.map((row) =>
        this.link.publish(this.names.events, row.type, Buffer.from(row.body), {
          type: row.type,
          messageId: row.id,
          headers: { ...row.headers, [ORIGIN_HEADER]: this.options.service },
        }),
      ),
    );
  }

  /** Resolves once the runtime applied `event` (a reply of a saga of this process), or at once for other events. */
  private applied(event: IEvent): Promise<void> {
    if (!this.replyTypes.has(event.constructor as ReplyType) || !sagaIdOf(event)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, APPLY_WAIT_MS);
      timer.unref();
      this.replyWaiters.set(event, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
