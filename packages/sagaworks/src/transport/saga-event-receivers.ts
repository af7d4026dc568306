import { Injectable, type Type } from '@nestjs/common';
import type { IEvent } from '@nestjs/cqrs';

type Receiver = (event: IEvent) => Promise<void>;

/**
 * How a service takes in another service's event so that it cannot be lost: a receiver's promise is the effect.
 * Over a broker, the message is acknowledged only once every receiver of its class has resolved; one that throws
 * gets the message again a moment later (receivers must be idempotent). In one process, the outbox runs them
 * when it publishes the event. An `@EventsHandler` still sees the event too, but its errors are only logged.
 */
@Injectable()
export class SagaEventReceivers {
  private readonly receivers = new Map<Type<IEvent>, Receiver[]>();

  /** Registers `receive` for events of `type`; the function returned removes it. */
  on<E extends IEvent>(type: Type<E>, receive: (event: E) => Promise<void>): () => void {
    const list = this.receivers.get(type) ?? [];
    const receiver = receive as Receiver;
    this.receivers.set(type, [...list, receiver]);
    return () =>
      this.receivers.set(
        type,
        (this.receivers.get(type) ?? []).filter((r) => r !== receiver),
      );
  }

  /** Whether some receiver takes events like this one. */
  receives(event: IEvent): boolean {
    return (this.receivers.get(event.constructor as Type<IEvent>)?.length ?? 0) > 0;
  }

  /** Runs every receiver of the event's class, one after another; rejects with the first failure. */
  async deliver(event: IEvent): Promise<void> {
    for (const receive of this.receivers.get(event.constructor as Type<IEvent>) ?? []) await receive(event);
  }
}
