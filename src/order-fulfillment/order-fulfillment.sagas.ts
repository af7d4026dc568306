import { Inject, Injectable } from '@nestjs/common';
import { type ICommand, type IEvent, ofType, Saga } from '@nestjs/cqrs';
import type { Observable } from 'rxjs';
import { type OrderFulfillmentData, OrderPlacedEvent } from '../orders';
import { type SagaDefinition, SagaOrchestrator } from 'sagaworks';

/** Injection token of the order saga's definition, as the module built it from the app's config. */
export const ORDER_FULFILLMENT_DEFINITION = Symbol('ORDER_FULFILLMENT_DEFINITION');

/** The order saga's event streams. Each event is handled in isolation: one failure never ends a stream. */
@Injectable()
export class OrderFulfillmentSagas {
  constructor(
    private readonly sagas: SagaOrchestrator,
    @Inject(ORDER_FULFILLMENT_DEFINITION) private readonly definition: SagaDefinition<OrderFulfillmentData>,
  ) {}

  /** An order and its saga are committed: dispatch the first step (reserve inventory). */
  @Saga()
  orderPlaced = (events$: Observable<IEvent>): Observable<ICommand> =>
    events$.pipe(
      ofType(OrderPlacedEvent),
      this.sagas.kickoff((e: OrderPlacedEvent) => e.sagaId),
    );

  /**
   * Every step's reply: a success dispatches the next step; a failure dispatches the compensations of the
   * completed steps, one at a time in reverse order; a compensation's reply dispatches the next one.
   */
  @Saga()
  stepReplies = (events$: Observable<IEvent>): Observable<ICommand> => events$.pipe(this.sagas.replies(this.definition));
}
