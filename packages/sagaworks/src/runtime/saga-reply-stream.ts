import { Injectable } from '@nestjs/common';
import { type ICommand, type IEvent, Saga } from '@nestjs/cqrs';
import type { Observable } from 'rxjs';
import { SagaOrchestrator } from './saga-orchestrator.js';

/**
 * The reply stream of every registered saga definition, provided by the module itself: without one, every step
 * would wait out its deadline and every saga would be compensated. An app that still streams a definition's
 * replies itself (`sagas.replies(definition)` in its own `@Saga()`) keeps doing so; this stream leaves that
 * definition's replies to it.
 */
@Injectable()
export class SagaReplyStream {
  constructor(private readonly sagas: SagaOrchestrator) {}

  @Saga()
  replies = (events$: Observable<IEvent>): Observable<ICommand> => events$.pipe(this.sagas.allReplies());
}
