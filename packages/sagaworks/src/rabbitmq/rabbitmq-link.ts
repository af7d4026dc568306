import type { Logger } from '@nestjs/common';
import {
  type Channel,
  type ChannelModel,
  type ConfirmChannel,
  type ConsumeMessage,
  connect,
  type Options,
  type RecoveringChannelModel,
} from 'amqplib';
import { TransportUnavailableError } from '../transport/transport-errors.js';

/** A queue this process consumes, and what it does with each message (it acks or nacks on `channel`). */
export interface QueueConsumer {
  queue: string;
  handle: (message: ConsumeMessage, channel: Channel) => Promise<void>;
}

export interface RabbitMqLinkOptions {
  url: string;
  logger: Logger;
  /** Unacknowledged messages per consumer. */
  prefetch: number;
  /** Declares exchanges, queues and bindings (run on every connect: a restarted broker may have lost none, or all). */
  topology: (channel: Channel) => Promise<void>;
  consumers: QueueConsumer[];
  /** A publish the broker has not confirmed by then fails (and is retried by its caller). Default 10 000 ms. */
  confirmTimeoutMs?: number;
}

/**
 * One connection to RabbitMQ that comes back by itself (amqplib's recovery, with capped backoff): on every
 * connect it declares the topology, opens a confirm channel for publishing and one channel per consumer with
 * manual acks. While it is down, a publish fails at once with `TransportUnavailableError` instead of waiting:
 * its caller waits the fault out. Every connection and channel has an error listener, so no broker fault can
 * become an unhandled `'error'` event.
 */
export class RabbitMqLink {
  private connection?: RecoveringChannelModel;
  private publisher: ConfirmChannel | null = null;
  private stopped = false;
  private connects = 0;
  /** The connection's current model, and whether its consumers run (they start after the app's handlers). */
  private model: ChannelModel | null = null;
  private consuming = false;
  private outage: { startedAt: number; endedAt: number | null } | null = null;

  constructor(private readonly options: RabbitMqLinkOptions) {}

  /** The last time the connection was lost, and when it came back (`null`: not yet). */
  get lastOutage(): { startedAt: number; endedAt: number | null } | null {
    return this.outage;
  }

  /** Whether a publish could go out now: connected, with the confirm channel open. */
  get connected(): boolean {
    return this.publisher !== null && !this.stopped;
  }

  /** Starts connecting; resolves at the first connect, or after `waitMs` if the broker is not there yet. */
  async start(waitMs: number): Promise<void> {
    const connection = await connect(this.options.url, {
      // amqplib leaves Nagle's algorithm on; a saga's messages are small and each one is waited for.
      noDelay: true,
      recovery: {
        waitForConnect: false,
        initialDelay: 200,
        maxDelay: 5_000,
        setup: (model: ChannelModel) => this.setUp(model),
      },
    });
    this.connection = connection;
    connection.on('error', (error: Error) => this.options.logger.warn(`broker connection error: ${error.message}`));
    connection.on('disconnect', (error: Error) => {
      this.publisher = null;
      this.model = null;
      if (!this.outage || this.outage.endedAt !== null) this.outage = { startedAt: Date.now(), endedAt: null };
      if (!this.stopped) this.options.logger.warn(`broker connection lost, reconnecting: ${error?.message ?? 'closed'}`);
    });
    connection.on('connect-failed', (error: Error) => this.options.logger.warn(`broker not reachable yet: ${error.message}`));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      connection.waitForConnect().catch(() => undefined),
      new Promise((resolve) => (timer = setTimeout(resolve, waitMs))),
    ]);
    clearTimeout(timer);
  }

  /**
   * Starts the consumers, now and on every reconnect. Called once the app's handlers and streams are
   * registered: a message taken earlier would find no handler (a command) or no saga listening (a reply).
   */
  async startConsuming(): Promise<void> {
    this.consuming = true;
    if (this.model)
      await this.consume(this.model).catch((error: Error) =>
        this.options.logger.warn(`broker consumers not started yet: ${error.message}`),
      );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.publisher = null;
    await this.connection?.close().catch(() => undefined);
  }

  /** Publishes a persistent message; resolves once the broker confirmed it. */
  publish(exchange: string, routingKey: string, body: Buffer, properties: Options.Publish): Promise<void> {
    const channel = this.publisher;
    if (!channel) return Promise.reject(new TransportUnavailableError('the broker is not reachable'));
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new TransportUnavailableError('the broker did not confirm in time')),
        this.options.confirmTimeoutMs ?? 10_000,
      );
      try {
        channel.publish(
          exchange,
          routingKey,
          body,
          { persistent: true, ...properties, contentType: 'application/json' },
          (error: unknown) => {
            clearTimeout(timer);
            if (error) reject(new TransportUnavailableError(`the broker refused a message: ${String((error as Error)?.message ?? error)}`));
            else resolve();
          },
        );
      } catch (error) {
        // The channel closed under us (the connection just dropped).
        clearTimeout(timer);
        reject(new TransportUnavailableError(`the broker is not reachable: ${(error as Error).message}`));
      }
    });
  }

  private async setUp(model: ChannelModel): Promise<void> {
    const publisher = await model.createConfirmChannel();
    this.guard(publisher, 'publish');
    publisher.on('close', () => {
      if (this.publisher === publisher) this.publisher = null;
    });
    await this.options.topology(publisher);
    if (this.consuming) await this.consume(model);
    this.model = model;
    this.publisher = publisher;
    if (this.outage && this.outage.endedAt === null) this.outage.endedAt = Date.now();
    this.connects++;
    this.options.logger.log(`connected to the broker (${this.connects === 1 ? 'first connect' : `reconnect ${this.connects - 1}`})`);
  }

  private async consume(model: ChannelModel): Promise<void> {
    for (const consumer of this.options.consumers) {
      const channel = await model.createChannel();
      this.guard(channel, consumer.queue);
      await channel.prefetch(this.options.prefetch);
      await channel.consume(
        consumer.queue,
        (message) => {
          // null: the broker cancelled the consumer (its queue was deleted); the next connect consumes again.
          if (message) void this.deliver(consumer, message, channel);
        },
        { noAck: false },
      );
    }
  }

  private async deliver(consumer: QueueConsumer, message: ConsumeMessage, channel: Channel): Promise<void> {
    try {
      await consumer.handle(message, channel);
    } catch (error) {
      // A consumer acks or nacks itself; one that throws leaves the message to be redelivered.
      this.options.logger.error(`${consumer.queue}: a message could not be handled: ${(error as Error).message}`);
      settle(() => channel.nack(message, false, true));
    }
  }

  private guard(channel: Channel, what: string): void {
    channel.on('error', (error: Error) => this.options.logger.warn(`broker channel (${what}) error: ${error.message}`));
  }
}

/** An ack or nack on a channel that has closed throws; the broker redelivers the message anyway. */
export function settle(action: () => void): void {
  try {
    action();
  } catch {
    // the channel is gone: the unacked message goes back to its queue
  }
}
