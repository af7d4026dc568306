import { AdminTokenGuard } from 'sagaworks/inspector';
import { type DynamicModule, Module } from '@nestjs/common';
import { SagaModule } from 'sagaworks';
import { buildOrderFulfillmentSaga } from './order-fulfillment.saga-definition';
import { ORDER_FULFILLMENT_DEFINITION, OrderFulfillmentSagas } from './order-fulfillment.sagas';
import { FRAUD_REVIEW_SETTINGS } from './review/fraud-review-settings.token';
import type { FraudReviewSettings } from './review/fraud-review.step';
import { OrderReviewController } from './review/order-review.controller';

/** The order saga, built with the app's fraud review settings, and the review endpoint that ends its wait. */
@Module({})
export class OrderFulfillmentModule {
  static forRoot(options: { fraudReview: FraudReviewSettings }): DynamicModule {
    const definition = buildOrderFulfillmentSaga(options.fraudReview);
    return {
      module: OrderFulfillmentModule,
      imports: [SagaModule.forFeature([definition])],
      controllers: [OrderReviewController],
      providers: [
        { provide: ORDER_FULFILLMENT_DEFINITION, useValue: definition },
        { provide: FRAUD_REVIEW_SETTINGS, useValue: options.fraudReview },
        AdminTokenGuard,
        OrderFulfillmentSagas,
      ],
    };
  }
}
