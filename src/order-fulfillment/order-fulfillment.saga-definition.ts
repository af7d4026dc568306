import { FRAUD_REVIEW_DEFAULTS } from '../config/app-config';
import {
  InventoryReleasedEvent,
  InventoryReservationFailedEvent,
  InventoryReservedEvent,
  ReleaseInventoryCommand,
  ReserveInventoryCommand,
} from '../inventory';
import {
  CancelOrderCommand,
  ConfirmOrderCommand,
  ORDER_FULFILLMENT_SAGA,
  OrderCancelledEvent,
  OrderConfirmedEvent,
  type OrderFulfillmentData,
} from '../orders';
import { PaymentChargedEvent, PaymentDeclinedEvent, PaymentRefundedEvent, ProcessPaymentCommand, RefundPaymentCommand } from '../payment';
import { defineSaga, send } from 'sagaworks';
import {
  CancelShipmentCommand,
  CreateShipmentCommand,
  ShipmentCancelledEvent,
  ShipmentCreatedEvent,
  ShipmentFailedEvent,
} from '../shipping';
import { type FraudReviewSettings, fraudReviewStep } from './review/fraud-review.step';

/**
 * Placing an order: reserve stock, (a large order: wait for a fraud review), charge, ship, confirm. When a step
 * fails, the steps before it are undone in reverse (cancel shipment, refund, release stock) and, last, the order
 * is cancelled with the reason. The review's threshold and deadline come from the app's config.
 */
export const buildOrderFulfillmentSaga = (review: FraudReviewSettings) =>
  defineSaga<OrderFulfillmentData>({
    type: ORDER_FULFILLMENT_SAGA,
    steps: [
      {
        // Done by the time the saga starts (same transaction); kept as a step so cancelling the order is the
        // last compensation.
        name: 'placeOrder',
        compensation: send(CancelOrderCommand, (c) => [c.sagaId, c.data.orderId, c.failureReason ?? 'cancelled', c.data.paymentMethodId]),
        compensatedBy: [OrderCancelledEvent],
      },
      {
        name: 'reserveInventory',
        command: send(ReserveInventoryCommand, (c) => [
          c.sagaId,
          c.data.orderId,
          c.data.items.map((i) => ({ sku: i.sku, quantity: i.quantity })),
        ]),
        completedBy: [InventoryReservedEvent],
        failedBy: [InventoryReservationFailedEvent],
        compensation: send(ReleaseInventoryCommand, (c) => [c.sagaId, c.data.orderId]),
        compensatedBy: [InventoryReleasedEvent],
      },
      // After the reservation, so an order that cannot be served fails before anyone is asked to review it, and
      // before the charge, so a rejected order is never charged.
      fraudReviewStep(review),
      {
        name: 'processPayment',
        command: send(ProcessPaymentCommand, (c) => [c.sagaId, c.data.orderId, c.data.totalCents, c.data.paymentMethodId]),
        completedBy: [PaymentChargedEvent],
        failedBy: [PaymentDeclinedEvent],
        onCompleted: (data, e) => ({ ...data, paymentId: (e as PaymentChargedEvent).paymentId }),
        compensation: send(RefundPaymentCommand, (c) => [c.sagaId, c.data.orderId, c.data.paymentMethodId]),
        compensatedBy: [PaymentRefundedEvent],
      },
      {
        name: 'createShipment',
        command: send(CreateShipmentCommand, (c) => [c.sagaId, c.data.orderId, c.data.shippingAddress]),
        completedBy: [ShipmentCreatedEvent],
        failedBy: [ShipmentFailedEvent],
        onCompleted: (data, e) => ({
          ...data,
          shipmentId: (e as ShipmentCreatedEvent).shipmentId,
          trackingNumber: (e as ShipmentCreatedEvent).trackingNumber,
        }),
        compensation: send(CancelShipmentCommand, (c) => [c.sagaId, c.data.orderId]),
        compensatedBy: [ShipmentCancelledEvent],
      },
      {
        // Past the point of no return: the card is charged and the parcel booked, so confirming only goes forward.
        // It is retried until it succeeds; its failure never cancels a charged and shipped order.
        name: 'confirmOrder',
        command: send(ConfirmOrderCommand, (c) => [c.sagaId, c.data.orderId]),
        completedBy: [OrderConfirmedEvent],
        nonCompensable: true,
        forwardOnly: true,
      },
    ],
  });

/** The order saga at the default review settings (the diagram in docs/architecture.md, the explore e2e). */
export const orderFulfillmentSaga = buildOrderFulfillmentSaga(FRAUD_REVIEW_DEFAULTS);
