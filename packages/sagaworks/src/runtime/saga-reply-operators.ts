import type { Logger } from '@nestjs/common';
import type { ICommand, IEvent } from '@nestjs/cqrs';
import { catchError, defer, EMPTY, filter, ignoreElements, mergeMap, type Observable, type OperatorFunction } from 'rxjs';
import type { ReplyType, SagaDefinition, SagaReply } from '../definition/saga-definition.js';
import type { SagaHooks } from '../transport/saga-hooks.js';
import type { SagaRegistry } from './saga-registry.js';
import { waitOutInfrastructure } from './wait-out-infrastructure.js';

export interface ReplyOperatorDeps {
  registry: SagaRegistry;
  logger: Logger;
  isTransient: (error: unknown) => boolean;
  /** The host is shutting down: stop waiting out faults. */
  stopped: () => boolean;
  onReply: (definition: SagaDefinition<unknown>, event: SagaReply) => Promise<ICommand[]>;
  dispatchCurrent: (sagaId: string) => Promise<ICommand[]>;
  /** Sends the commands that follow (through the runtime's transport, not back into the stream). */
  dispatch: (commands: ICommand[]) => void;
  hooks: SagaHooks;
}

/**
 * The RxJS operators of `@Saga()` streams: replies to the commands that follow, kick-offs to first commands.
 * The commands go out through the runtime's dispatcher, so a transport carries them and their handlers' errors
 * come back to the saga; the streams themselves emit nothing. Each event is handled in isolation: an error is
 * logged and ends only that event's handling, never the stream (in `@nestjs/cqrs` an error reaching the stream
 * would unsubscribe the saga for good).
 */
export class SagaReplyOperators {
  /** Definitions whose replies the app streams itself (`replies(definition)`). */
  private readonly appStreamed = new Set<string>();

  constructor(private readonly deps: ReplyOperatorDeps) {}

  replies(definition: SagaDefinition<unknown>): OperatorFunction<IEvent, ICommand> {
    // The app streams this definition's replies itself: the library's own stream leaves them to it.
    this.appStreamed.add(definition.type);
    const types = new Set<unknown>(this.deps.registry.require(definition.type).replies.keys());
    return (events$: Observable<IEvent>) =>
      events$.pipe(
        filter((e): e is SagaReply => types.has(e.constructor) && typeof (e as Partial<SagaReply>).sagaId === 'string'),
        mergeMap((event) => this.applied(event, () => this.settle(event.sagaId, () => this.deps.onReply(definition, event)))),
      );
  }

  allReplies(): OperatorFunction<IEvent, ICommand> {
    const owners = (event: IEvent) =>
      this.deps.registry
        .all()
        .filter((saga) => !this.appStreamed.has(saga.definition.type) && saga.replies.has(event.constructor as ReplyType));
    return (events$: Observable<IEvent>) =>
      events$.pipe(
        filter((e): e is SagaReply => typeof (e as Partial<SagaReply>).sagaId === 'string'),
        mergeMap((event) => {
          const sagas = owners(event);
          if (sagas.length === 0) return EMPTY;
          // Each saga in isolation: one's failure never keeps the reply from another.
          return this.applied(event, () =>
            Promise.all(sagas.map((saga) => this.settle(event.sagaId, () => this.deps.onReply(saga.definition, event)))),
          );
        }),
      );
  }

  kickoff<E extends IEvent>(sagaIdOf: (event: E) => string): OperatorFunction<E, ICommand> {
    return mergeMap((event: E) =>
      defer(() =>
        this.settle(
          safely(() => sagaIdOf(event)),
          () => this.deps.dispatchCurrent(sagaIdOf(event)),
        ),
      ).pipe(ignoreElements()),
    );
  }

  /** A reply's handling, through the reply hooks (which may hold, drop or repeat it); emits nothing. */
  private applied(reply: SagaReply, handle: () => Promise<unknown>): Observable<ICommand> {
    return defer(() => this.deps.hooks.runReply(reply, handle)).pipe(
      ignoreElements(),
      catchError((error: unknown) => {
        this.deps.logger.error(`saga ${safely(() => reply.sagaId)}: a reply hook failed: ${(error as Error).message}`);
        return EMPTY;
      }),
    );
  }

  /** Runs `work` and sends the commands it returns; never rejects (a failure is logged). */
  private async settle(sagaId: string, work: () => Promise<ICommand[]>): Promise<void> {
    try {
      // A reply (or kick-off) that meets an infrastructure fault is held and applied again, not dropped: dropped,
      // its step would sit until its deadline and spend an attempt on a fault that says nothing about it.
      const commands = await waitOutInfrastructure(work, {
        isTransient: this.deps.isTransient,
        stopped: this.deps.stopped,
        onWait: (error, waitMs) =>
          this.deps.logger.warn(
            `saga ${sagaId}: reply waits on infrastructure, applied again in ${waitMs} ms: ${(error as Error).message}`,
          ),
      });
      this.deps.dispatch(commands);
    } catch (error) {
      this.deps.logger.error(`saga ${sagaId}: event handling failed: ${(error as Error).message}`, (error as Error).stack);
    }
  }
}

/** A field of an event that may itself be malformed. */
function safely(read: () => string): string {
  try {
    return read();
  } catch {
    return '(unknown)';
  }
}
