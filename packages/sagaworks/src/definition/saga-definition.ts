import type { ICommand, IEvent } from '@nestjs/cqrs';
import type { RetryPolicy } from './retry-policy.js';

/** An event that answers a saga's command: it names the saga it belongs to. */
export interface SagaReply extends IEvent {
  readonly sagaId: string;
}

/** A failure reply may say why; the reason is recorded on the step and the saga. */
export interface SagaFailureReply extends SagaReply {
  readonly reason?: string;
}

/** A class of events, used to say which events answer a step. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ReplyType<E extends SagaReply = SagaReply> = new (...args: any[]) => E;

/** What a step's command factory sees. */
export interface SagaContext<TData> {
  readonly sagaId: string;
  readonly correlationId: string;
  readonly data: Readonly<TData>;
  /** 1 for the first attempt of the current action. */
  readonly attempt: number;
  /** Set while compensating: why the saga is being undone. */
  readonly failureReason?: string;
}

/** A class of commands. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type CommandType<C extends ICommand = ICommand> = new (...args: any[]) => C;

/** A command a step sends: its class (checked at boot for a handler) and how to build it from the saga. */
export interface CommandSpec<TData> {
  readonly type: CommandType;
  create(ctx: SagaContext<TData>): ICommand;
}

/**
 * Names the command a step sends and builds its constructor arguments from the saga context:
 * `send(ReserveInventoryCommand, (c) => [c.sagaId, c.data.orderId, c.data.items])`. The arguments are type
 * checked against the command's constructor.
 */
export function send<TData, A extends unknown[]>(
  type: new (...args: A) => ICommand,
  args: (ctx: SagaContext<TData>) => [...A],
): CommandSpec<TData> {
  return { type, create: (ctx) => new type(...args(ctx)) };
}

/** What a wait step makes of the signal that ends it: go on (folding the payload into the data), or fail. */
export type SignalDecision<TData> = { outcome: 'complete'; data?: TData } | { outcome: 'fail'; reason: string };

/**
 * A step that sends no command and waits: for the signal `signal` (`SagaSignals.signal(...)` from your code,
 * say an approval over HTTP), or for one of the step's `completedBy`/`failedBy` events. Its deadline is absolute:
 * stored when the wait begins, it is not moved by a restart, a takeover or a lease change. A waiting saga holds
 * no lease and costs nothing until its deadline, its reminder or its signal.
 */
export interface SagaWaitDefinition<TData> {
  /** The name `SagaSignals.signal` is called with. Unique within the saga. */
  readonly signal?: string;
  /** How long the wait lasts, from when the saga reaches it. */
  readonly timeoutMs: number;
  /**
   * At the deadline: `'compensate'` (the default) fails the step and undoes what came before; `{ goTo }` goes on
   * at a later step (a timeout path), skipping the steps between.
   */
  readonly onTimeout?: 'compensate' | { readonly goTo: string };
  /** A command sent once, `afterMs` into the wait (a reminder, an escalation). */
  readonly remind?: { readonly afterMs: number; readonly command: CommandSpec<TData> };
  /** Decides on the signal's payload; without it any signal completes the step. */
  decide?(this: void, payload: unknown, data: Readonly<TData>): SignalDecision<TData>;
}

/** One step of a saga: an action, how it is answered, and how it is undone. */
export interface SagaStepDefinition<TData> {
  /** Unique within the saga; appears in the saga's steps and history. */
  readonly name: string;
  /**
   * The command that performs the step. A step without one (say, "the order was placed", done before the saga
   * started) completes at once; it exists to hold a compensation.
   */
  readonly command?: CommandSpec<TData>;
  /**
   * Instead of a command: branches that start together, each a step of its own (command, replies, deadline,
   * retries, compensation). The stage completes when every branch has; when one fails, the branches that
   * completed are compensated in reverse order of completion, and a branch still running is compensated when
   * its reply comes, or at its deadline.
   */
  readonly parallel?: readonly SagaStepDefinition<TData>[];
  /** The type of the child saga this step runs (set by `childSagaStep`; the diagram and the inspector show it). */
  readonly childSaga?: string;
  /** Instead of a command: the step waits for a signal or a reply event (see `SagaWaitDefinition`). */
  readonly wait?: SagaWaitDefinition<TData>;
  /** A choreographed flow's milestone (see `defineChoreography`): nothing is sent for it, its events are observed. */
  readonly observed?: { readonly participant?: string };
  /** The step runs only when this holds when the saga reaches it; otherwise it is skipped (and the history says so). */
  when?(this: void, ctx: SagaContext<TData>): boolean;
  /** Events that complete the step. */
  readonly completedBy?: readonly ReplyType[];
  /** Events that fail the step (the saga then compensates). */
  readonly failedBy?: readonly ReplyType<SagaFailureReply>[];
  /** Folds a completing event into the saga's data (say, a payment id the refund needs). */
  onCompleted?(this: void, data: TData, event: SagaReply): TData;
  /** The command that undoes the step; required unless `nonCompensable`. */
  readonly compensation?: CommandSpec<TData>;
  /** Events that confirm the compensation. */
  readonly compensatedBy?: readonly ReplyType[];
  /** A step that cannot be undone (a pivot, or a final confirmation). */
  readonly nonCompensable?: boolean;
  /**
   * Past the point of no return: the steps before it took effect for good (a card charged, a parcel booked), so
   * this step only goes forward. It is retried, with the capped backoff, until it succeeds: running out of
   * attempts, a timeout or any thrown error never fails it and never compensates what came before. It may
   * name no `failedBy` events and no compensation, and every step after it must be forward-only too (the boot
   * check enforces both).
   */
  readonly forwardOnly?: boolean;
  /** Deadline of one attempt; defaults to the module's `defaultStepTimeoutMs`. */
  readonly timeoutMs?: number;
  /** Overrides the module's retry policy for this step and its compensation. */
  readonly retry?: Partial<RetryPolicy>;
}

/** A saga, declared once: its type name and its steps in order. */
export interface SagaDefinition<TData = unknown> {
  /** Stable name stored on every instance (`saga_instance.type`). */
  readonly type: string;
  readonly steps: readonly SagaStepDefinition<TData>[];
}

/** Declares a saga; a typed identity function so that step factories see `TData`. */
export function defineSaga<TData>(definition: SagaDefinition<TData>): SagaDefinition<TData> {
  return definition;
}
