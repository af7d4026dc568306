import { AsyncLocalStorage } from 'node:async_hooks';

/** The message whose handler is running: what the outbox records in the inbox, with the handler's write. */
export interface IncomingMessage {
  /** The broker message's id, the same on every redelivery of it. */
  id: string;
  /** Headers that travel on with what the handler publishes (trace context). */
  headers: Record<string, string>;
}

const storage = new AsyncLocalStorage<IncomingMessage>();

/** Runs a received message's handler with the message in its async context. */
export function handlingMessage<T>(message: IncomingMessage, work: () => T): T {
  return storage.run(message, work);
}

/** The received message the running code handles, if any. */
export function currentMessage(): IncomingMessage | undefined {
  return storage.getStore();
}
