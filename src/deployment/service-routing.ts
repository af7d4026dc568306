import { FlowStalledEvent } from 'sagaworks';
import type { SagaRabbitMqOptions } from 'sagaworks/rabbitmq';
import { CatalogPublishedEvent, ReleaseInventoryCommand, ReserveInventoryCommand, ReturnRestockedEvent } from '../inventory';
import { InventoryReleasedEvent, InventoryReservationFailedEvent, InventoryReservedEvent } from '../inventory';
import { CancelOrderCommand, ConfirmOrderCommand, ReturnRequestedEvent } from '../orders';
import {
  PaymentChargedEvent,
  PaymentDeclinedEvent,
  PaymentMethodProvidedEvent,
  PaymentMethodWithdrawnEvent,
  PaymentRefundedEvent,
  ProcessPaymentCommand,
  RefundPaymentCommand,
  ReturnRefundedEvent,
  ReturnRefundRefusedEvent,
} from '../payment';
import {
  CancelShipmentCommand,
  CreateShipmentCommand,
  ShipmentCancelledEvent,
  ShipmentCreatedEvent,
  ShipmentFailedEvent,
  ShipmentReturnedEvent,
  ShipmentReturnReversedEvent,
} from '../shipping';
import type { ServiceName } from './service-names';

/** Which service handles which commands: the same table in every process. */
const COMMANDS: SagaRabbitMqOptions['commands'] = {
  orders: [ConfirmOrderCommand, CancelOrderCommand],
  inventory: [ReserveInventoryCommand, ReleaseInventoryCommand],
  payment: [ProcessPaymentCommand, RefundPaymentCommand],
  shipping: [CreateShipmentCommand, CancelShipmentCommand],
};

/**
 * The events each service publishes to the others: the saga's replies, the catalog, the card-token handoff, and
 * the order-return flow's (each participant's milestone, and the tracker's stall nudges).
 */
const PUBLISHES: Record<ServiceName, NonNullable<SagaRabbitMqOptions['events']>> = {
  orders: [PaymentMethodProvidedEvent, PaymentMethodWithdrawnEvent, ReturnRequestedEvent, FlowStalledEvent],
  inventory: [InventoryReservedEvent, InventoryReservationFailedEvent, InventoryReleasedEvent, CatalogPublishedEvent, ReturnRestockedEvent],
  payment: [PaymentChargedEvent, PaymentDeclinedEvent, PaymentRefundedEvent, ReturnRefundedEvent, ReturnRefundRefusedEvent],
  shipping: [ShipmentCreatedEvent, ShipmentFailedEvent, ShipmentCancelledEvent, ShipmentReturnedEvent, ShipmentReturnReversedEvent],
};

/**
 * What each service takes in besides the replies of its sagas (the orders service's, added by the transport):
 * in the order-return flow, each participant the event before its own, and orders, which tracks the flow, all.
 */
const SUBSCRIBES: Record<ServiceName, NonNullable<SagaRabbitMqOptions['subscribe']>> = {
  orders: [
    CatalogPublishedEvent,
    ShipmentReturnedEvent,
    ReturnRefundedEvent,
    ReturnRefundRefusedEvent,
    ReturnRestockedEvent,
    ShipmentReturnReversedEvent,
  ],
  inventory: [ReturnRefundedEvent, FlowStalledEvent],
  payment: [PaymentMethodProvidedEvent, PaymentMethodWithdrawnEvent, ShipmentReturnedEvent, FlowStalledEvent],
  shipping: [ReturnRequestedEvent, ReturnRefundRefusedEvent, FlowStalledEvent],
};

/** `SagaRabbitMqModule.forRoot` options for the process that runs `service`. */
export function brokerRouting(service: ServiceName, url: string, prefix: string): SagaRabbitMqOptions {
  return { url, service, prefix, commands: COMMANDS, events: PUBLISHES[service], subscriptions: SUBSCRIBES };
}
