import type { SagaRabbitMqOptions } from 'sagaworks/rabbitmq';
import { CatalogPublishedEvent, ReleaseInventoryCommand, ReserveInventoryCommand } from '../inventory';
import { InventoryReleasedEvent, InventoryReservationFailedEvent, InventoryReservedEvent } from '../inventory';
import { CancelOrderCommand, ConfirmOrderCommand } from '../orders';
import {
  PaymentChargedEvent,
  PaymentDeclinedEvent,
  PaymentMethodProvidedEvent,
  PaymentMethodWithdrawnEvent,
  PaymentRefundedEvent,
  ProcessPaymentCommand,
  RefundPaymentCommand,
} from '../payment';
import {
  CancelShipmentCommand,
  CreateShipmentCommand,
  ShipmentCancelledEvent,
  ShipmentCreatedEvent,
  ShipmentFailedEvent,
} from '../shipping';
import type { ServiceName } from './service-names';

/** Which service handles which commands: the same table in every process. */
const COMMANDS: SagaRabbitMqOptions['commands'] = {
  orders: [ConfirmOrderCommand, CancelOrderCommand],
  inventory: [ReserveInventoryCommand, ReleaseInventoryCommand],
  payment: [ProcessPaymentCommand, RefundPaymentCommand],
  shipping: [CreateShipmentCommand, CancelShipmentCommand],
};

/** The events each service publishes to the others (the saga's replies, the catalog, the card-token handoff). */
const PUBLISHES: Record<ServiceName, NonNullable<SagaRabbitMqOptions['events']>> = {
  orders: [PaymentMethodProvidedEvent, PaymentMethodWithdrawnEvent],
  inventory: [InventoryReservedEvent, InventoryReservationFailedEvent, InventoryReleasedEvent, CatalogPublishedEvent],
  payment: [PaymentChargedEvent, PaymentDeclinedEvent, PaymentRefundedEvent],
  shipping: [ShipmentCreatedEvent, ShipmentFailedEvent, ShipmentCancelledEvent],
};

/** What each service takes in besides the replies of its sagas (the orders service's, added by the transport). */
const SUBSCRIBES: Record<ServiceName, NonNullable<SagaRabbitMqOptions['subscribe']>> = {
  orders: [CatalogPublishedEvent],
  inventory: [],
  payment: [PaymentMethodProvidedEvent, PaymentMethodWithdrawnEvent],
  shipping: [],
};

/** `SagaRabbitMqModule.forRoot` options for the process that runs `service`. */
export function brokerRouting(service: ServiceName, url: string, prefix: string): SagaRabbitMqOptions {
  return { url, service, prefix, commands: COMMANDS, events: PUBLISHES[service], subscriptions: SUBSCRIBES };
}
