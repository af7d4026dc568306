import { Injectable } from '@nestjs/common';
import { type ICommand, type IEvent, Saga } from '@nestjs/cqrs';
import type { Observable } from 'rxjs';
import { SagaOrchestrator } from 'sagaworks';
import { brokenTripSaga } from './broken-trip.saga';

@Injectable()
export class BrokenTripSagas {
  constructor(private readonly sagas: SagaOrchestrator) {}

  @Saga()
  tripReplies = (events$: Observable<IEvent>): Observable<ICommand> => events$.pipe(this.sagas.replies(brokenTripSaga));
}
