import { Injectable, Logger } from '@nestjs/common';
import type { ICommand } from '@nestjs/cqrs';
import type { SagaReply } from '../definition/saga-definition.js';
import type { StoredTransition } from '../domain/saga-state.js';

/** Runs what a hook wraps: the handler of a command, or the runtime's handling of a reply. */
export type Next = () => Promise<unknown>;

/**
 * Watches, or changes, what the saga machinery does. Every member is optional.
 *
 * The two `around` members wrap work and decide whether, when and how often it runs: call `next` once to let it
 * run as usual, never to drop it, later to hold it, twice to deliver it twice. They must return what `next`
 * returned (or a promise of it), and let its error through, since the runtime reads the handler's failure from it.
 * The `on` members only observe; what they throw is logged and goes no further.
 */
export interface SagaHook {
  /** Around a command's handler, in the process that runs the handler (whatever transport brought it). */
  aroundCommand?(command: ICommand, next: Next): Promise<unknown>;
  /** Around the runtime's handling of a reply (an event some saga's step waits for), before it is applied. */
  aroundReply?(reply: SagaReply, next: Next): Promise<unknown>;
  /** A command leaves the runtime for its transport. */
  onDispatch?(command: ICommand): void;
  /** A command's handler threw (here, or in the process the transport carried it to). */
  onCommandError?(command: ICommand, error: unknown): void;
  /** A transition was stored (before its commands are dispatched). */
  onTransition?(transition: StoredTransition): void;
  /** Headers a transport sends with a command or an event (trace context, say); later hooks win a clash. */
  outgoingHeaders?(message: object): Record<string, string> | undefined;
}

type Around = 'aroundCommand' | 'aroundReply';
type Observer = 'onDispatch' | 'onCommandError' | 'onTransition' | 'outgoingHeaders';

/**
 * The hooks of one app: logs, metrics, tracing, the testing kit and fault injection register here, rather than
 * replacing methods of the buses. The first hook registered is the outermost.
 */
@Injectable()
export class SagaHooks {
  private readonly logger = new Logger('SagaHooks');
  private hooks: readonly SagaHook[] = [];

  /** Adds a hook; the function returned removes it. */
  register(hook: SagaHook): () => void {
    this.hooks = [...this.hooks, hook];
    return () => {
      this.hooks = this.hooks.filter((h) => h !== hook);
    };
  }

  /** Runs a command's handler through every `aroundCommand`. */
  runCommand(command: ICommand, handler: Next): Promise<unknown> {
    return this.around('aroundCommand', command, handler);
  }

  /** Runs the runtime's handling of a reply through every `aroundReply`. */
  runReply(reply: SagaReply, apply: Next): Promise<unknown> {
    return this.around('aroundReply', reply, apply);
  }

  dispatched(command: ICommand): void {
    this.notify('onDispatch', (h) => h.onDispatch?.(command));
  }

  commandFailed(command: ICommand, error: unknown): void {
    this.notify('onCommandError', (h) => h.onCommandError?.(command, error));
  }

  transitioned(transition: StoredTransition): void {
    this.notify('onTransition', (h) => h.onTransition?.(transition));
  }

  /** What every hook adds to the headers of an outgoing message. */
  headersFor(message: object): Record<string, string> {
    let headers: Record<string, string> = {};
    this.notify('outgoingHeaders', (h) => {
      const more = h.outgoingHeaders?.(message);
      if (more) headers = { ...headers, ...more };
    });
    return headers;
  }

  private around<M>(member: Around, message: M, inner: Next): Promise<unknown> {
    const hooks = this.hooks;
    // Without hooks the work runs as it is: no closures on the hot path of an app that registers none.
    if (hooks.length === 0) return inner();
    let next = inner;
    for (let i = hooks.length - 1; i >= 0; i--) {
      const hook = hooks[i];
      if (!hook[member]) continue;
      const deeper = next;
      next = () => (hook[member] as (m: M, n: Next) => Promise<unknown>).call(hook, message, deeper);
    }
    return next();
  }

  private notify(member: Observer, call: (hook: SagaHook) => void): void {
    for (const hook of this.hooks) {
      if (!hook[member]) continue;
      try {
        call(hook);
      } catch (error) {
        this.logger.error(`a saga hook's ${member} threw: ${(error as Error).message}`);
      }
    }
  }
}
