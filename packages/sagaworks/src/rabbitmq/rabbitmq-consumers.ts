import { randomUUID } from 'node:crypto';
import type { Logger } from '@nestjs/common';
import type { EventBus, ICommand, IEvent } from '@nestjs/cqrs';
import type { Channel, ConsumeMessage, Options } from 'amqplib';
import { classifiedReason, infrastructureCodeOf } from '../runtime/infrastructure-error.js';
import type { MessageCodec } from '../transport/message-codec.js';
import { handlingMessage } from '../transport/message-context.js';
import type { SagaEventReceivers } from '../transport/saga-event-receivers.js';
import { sagaIdOf } from '../transport/saga-message.js';
import { RemoteCommandError } from '../transport/transport-errors.js';
import { settle } from './rabbitmq-link.js';
import { COMMAND_FAILED, COMMAND_RECEIVED, ORIGIN_HEADER, type topologyNames } from './rabbitmq-options.js';

/** A command's failure as the process that ran its handler reports it to the one that sent it. */
interface CommandFailedBody {
  command: { type: string; body: unknown };
  reason: string;
  transient: boolean;
  code?: string;
}

export interface ConsumerDeps {
  service: string;
  names: ReturnType<typeof topologyNames>;
  codec: MessageCodec;
  /** Publishes a persistent message and resolves once the broker confirmed it. */
  publish: (exchange: string, routingKey: string, body: Buffer, properties: Options.Publish) => Promise<void>;
  logger: Logger;
  eventBus: EventBus;
  isTransient: (error: unknown) => boolean;
  /** Runs a command's handler here, through the hooks (`SagaCommandDispatcher.handleHere`). */
  handle: (command: ICommand) => Promise<unknown>;
  /** A command this process sent failed where it ran (`SagaCommandDispatcher.failed`). */
  failed: (command: ICommand, error: unknown) => void;
  /** A command this process sent reached the process that handles it (`messageId`). */
  received: (sagaId: string, messageId: string) => void;
  /** Resolves once the runtime has applied `event` if it is some saga's reply; at once otherwise. */
  applied: (event: IEvent) => Promise<void>;
  /** The receivers that must have stored an event's effect before its message is acked. */
  receivers: SagaEventReceivers;
}

/** How long a message whose receiver failed waits before it goes back to the queue (no hot loop on an outage). */
const RECEIVE_RETRY_MS = 1_000;

/** The string headers of a message (trace context and the like travel on with what its handler publishes). */
function stringHeaders(message: ConsumeMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(message.properties.headers ?? {})) if (typeof value === 'string') out[key] = value;
  return out;
}

/**
 * What this process does with what it receives. Every message is acked only after its effect is stored (a
 * handler committed, a failure report was confirmed, a reply was applied to its saga), so a process that dies
 * first gets it again, redelivered by the broker. A message that can never be read goes to the dead-letter
 * queue, kept for an operator, and is never requeued in a loop.
 */
export class RabbitMqConsumers {
  constructor(private readonly deps: ConsumerDeps) {}

  /** A command for this service: run its handler; report a failure to the service that sent it. */
  async onCommand(message: ConsumeMessage, channel: Channel): Promise<void> {
    const command = this.decode(message, channel) as ICommand | null;
    if (!command) return;
    const id = message.properties.messageId as string | undefined;
    const headers = stringHeaders(message);
    this.acknowledgeReceipt(command, id, headers[ORIGIN_HEADER]);
    try {
      await handlingMessage({ id: id ?? randomUUID(), headers }, () => this.deps.handle(command));
      settle(() => channel.ack(message));
    } catch (error) {
      const replyTo = headers[ORIGIN_HEADER];
      if (!replyTo) {
        this.deps.logger.error(`${command.constructor.name} failed and names no sender: ${(error as Error).message}`);
        return settle(() => channel.ack(message));
      }
      const report: CommandFailedBody = {
        command: { type: message.properties.type as string, body: JSON.parse(message.content.toString('utf8')) as unknown },
        reason: classifiedReason(error),
        transient: this.deps.isTransient(error),
        code: infrastructureCodeOf(error),
      };
      this.deps.logger.warn(`${command.constructor.name} failed here, reported to ${replyTo}: ${(error as Error).message}`);
      try {
        await this.deps.publish(this.deps.names.events, this.deps.names.failureKey(replyTo), Buffer.from(JSON.stringify(report)), {
          type: COMMAND_FAILED,
          messageId: randomUUID(),
          headers: { ...headers, [ORIGIN_HEADER]: this.deps.service },
        });
        settle(() => channel.ack(message));
      } catch {
        // The report could not leave: the command comes back and its handler (idempotent) runs again.
        settle(() => channel.nack(message, false, true));
      }
    }
  }

  /** An event for this service, or the failure of a command it sent. */
  async onEvent(message: ConsumeMessage, channel: Channel): Promise<void> {
    const headers = stringHeaders(message);
    // This process published it on its own bus already, when its outbox committed.
    if (headers[ORIGIN_HEADER] === this.deps.service && message.properties.type !== COMMAND_FAILED)
      return settle(() => channel.ack(message));
    if (message.properties.type === COMMAND_FAILED) return this.onFailure(message, channel);
    if (message.properties.type === COMMAND_RECEIVED) return this.onReceipt(message, channel);
    const event = this.decode(message, channel) as IEvent | null;
    if (!event) return;
    const applied = this.deps.applied(event);
    this.deps.eventBus.publish(event);
    try {
      const id = (message.properties.messageId as string | undefined) ?? randomUUID();
      await handlingMessage({ id, headers }, () => this.deps.receivers.deliver(event));
    } catch (error) {
      // Its receiver's effect is not stored (its database is down, say): the broker hands it over again.
      this.deps.logger.warn(
        `a receiver of ${message.properties.type as string} failed, delivered again in ${RECEIVE_RETRY_MS} ms: ${classifiedReason(error)}`,
      );
      await new Promise((resolve) => setTimeout(resolve, RECEIVE_RETRY_MS));
      return settle(() => channel.nack(message, false, true));
    }
    await applied;
    settle(() => channel.ack(message));
  }

  /**
   * Tells the sender its command arrived, so a deadline that passed while it waited in the queue is not spent.
   * Not waited for: a lost receipt only makes the sender send the same attempt again, unspent.
   */
  private acknowledgeReceipt(command: ICommand, messageId: string | undefined, replyTo: string | undefined): void {
    const sagaId = sagaIdOf(command);
    if (!messageId || !replyTo || !sagaId) return;
    const body = Buffer.from(JSON.stringify({ sagaId, messageId }));
    this.deps
      .publish(this.deps.names.events, this.deps.names.receiptKey(replyTo), body, {
        // Not written to disk: a receipt lost with the broker only makes the sender send again, unspent.
        persistent: false,
        type: COMMAND_RECEIVED,
        messageId: randomUUID(),
        headers: { [ORIGIN_HEADER]: this.deps.service },
      })
      .catch(() => undefined);
  }

  private onReceipt(message: ConsumeMessage, channel: Channel): void {
    try {
      const { sagaId, messageId } = JSON.parse(message.content.toString('utf8')) as { sagaId: string; messageId: string };
      this.deps.received(sagaId, messageId);
    } catch {
      // an unreadable receipt only means the command may be sent again, unspent
    }
    settle(() => channel.ack(message));
  }

  private onFailure(message: ConsumeMessage, channel: Channel): void {
    let report: CommandFailedBody;
    let command: ICommand;
    try {
      report = JSON.parse(message.content.toString('utf8')) as CommandFailedBody;
      command = this.deps.codec.decode(report.command.type, JSON.stringify(report.command.body));
    } catch (error) {
      this.deps.logger.error(`a failure report could not be read, kept in the dead letters: ${(error as Error).message}`);
      return settle(() => channel.nack(message, false, false));
    }
    this.deps.failed(command, new RemoteCommandError(report.reason, report.transient, report.code));
    settle(() => channel.ack(message));
  }

  private decode(message: ConsumeMessage, channel: Channel): object | null {
    try {
      return this.deps.codec.decode(message.properties.type as string | undefined, message.content);
    } catch (error) {
      this.deps.logger.error(`a message could not be read, kept in the dead letters: ${(error as Error).message}`);
      settle(() => channel.nack(message, false, false));
      return null;
    }
  }
}
