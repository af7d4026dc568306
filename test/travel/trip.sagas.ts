import { Injectable } from '@nestjs/common';
import { type ICommand, type IEvent, Saga } from '@nestjs/cqrs';
import type { Observable } from 'rxjs';
import { SagaOrchestrator } from 'sagaworks';
import { tripSaga } from './trip.saga';

/** The trip saga's event stream: trips start non-transactionally, so no kickoff stream is needed. */
@Injectable()
export class TripSagas {
  constructor(private readonly sagas: SagaOrchestrator) {}

  @Saga()
  tripReplies = (events$: Observable<IEvent>): Observable<ICommand> => events$.pipe(this.sagas.replies(tripSaga));
}
