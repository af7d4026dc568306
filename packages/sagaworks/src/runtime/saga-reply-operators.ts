import type { Logger } from '@nestjs/common';
import type { ICommand, IEvent } from '@nestjs/cqrs';
import { catchError, defer, EMPTY, filter, from, mergeMap, type Observable, type OperatorFunction } from 'rxjs';
import type { ReplyType, SagaDefinition, SagaReply } from '../definition/saga-definition.js';
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
}

/**
 * The RxJS operators of `@Saga()` streams: replies to the commands that follow, kick-offs to first commands.
 * Each event is handled in isolation: an error is logged and ends only that event's handling, never the stream
 * (in `@nestjs/cqrs` an error reaching the stream would unsubscribe the saga for good).
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
        mergeMap((event) =>
          this.isolated(
            () => event.sagaId,
            () => this.deps.onReply(definition, event),
          ),
        ),
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
        mergeMap((event) =>
          from(owners(event)).pipe(
            mergeMap((saga) =>
              this.isolated(
                () => event.sagaId,
                () => this.deps.onReply(saga.definition, event),
              ),
            ),
          ),
        ),
      );
  }

  kickoff<E extends IEvent>(sagaIdOf: (event: E) => string): OperatorFunction<E, ICommand> {
    return mergeMap((event: E) =>
      this.isolated(
        () => sagaIdOf(event),
        () => this.deps.dispatchCurrent(sagaIdOf(event)),
      ),
    );
  }

  private isolated(sagaIdOf: () => string, work: () => Promise<ICommand[]>): Observable<ICommand> {
    // A reply (or kick-off) that meets an infrastructure fault is held and applied again, not dropped: dropped,
    // its step would sit until its deadline and spend an attempt on a fault that says nothing about it.
    const persistent = () =>
      waitOutInfrastructure(work, {
        isTransient: this.deps.isTransient,
        stopped: this.deps.stopped,
        onWait: (error, waitMs) =>
          this.deps.logger.warn(
            `saga ${sagaIdOf()}: reply waits on infrastructure, applied again in ${waitMs} ms: ${(error as Error).message}`,
          ),
      });
    return defer(persistent).pipe(
      mergeMap((commands) => from(commands)),
      catchError((error: unknown) => {
        let sagaId = '(unknown)';
        try {
          sagaId = sagaIdOf();
        } catch {
          // the event itself is malformed; the log line says so through the error
        }
        this.deps.logger.error(`saga ${sagaId}: event handling failed: ${(error as Error).message}`, (error as Error).stack);
        return EMPTY;
      }),
    );
  }
}
