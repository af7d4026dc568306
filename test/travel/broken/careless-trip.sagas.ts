import { Injectable } from '@nestjs/common';
import { type ICommand, type IEvent, Saga } from '@nestjs/cqrs';
import type { Observable } from 'rxjs';
import { SagaOrchestrator } from 'sagaworks';
import { carelessTripSaga } from './careless-trip.saga';

@Injectable()
export class CarelessTripSagas {
  constructor(private readonly sagas: SagaOrchestrator) {}

  @Saga()
  tripReplies = (events$: Observable<IEvent>): Observable<ICommand> => events$.pipe(this.sagas.replies(carelessTripSaga));
}
