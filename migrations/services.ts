import { messagingMigrations, sagaMigrations } from 'sagaworks';
import type { MigrationInterface } from 'typeorm';
import type { ServiceName } from '../src/deployment/service-names';
import { CreateOrdersTables1764000000100 } from './1764000000100-create-orders-tables';
import { CreateInventoryTables1764000000200 } from './1764000000200-create-inventory-tables';
import { CreatePaymentsTables1764000000300 } from './1764000000300-create-payments-tables';
import { CreateShipmentsTables1764000000400 } from './1764000000400-create-shipments-tables';
import { CreatePaymentMethodsTable1764000000500 } from './1764000000500-create-payment-methods-table';
import { CreatePaymentMethodReceipts1764000000600 } from './1764000000600-create-payment-method-receipts';
import { CreateOrderCatalog1764000000700 } from './1764000000700-create-order-catalog';
import { CreateOrderReturns1764000000800 } from './1764000000800-create-order-returns';
import { CreateShipmentReturns1764000000900 } from './1764000000900-create-shipment-returns';
import { AddPaymentProviderRef1764000001000 } from './1764000001000-add-payment-provider-ref';
import { AllowRestockedReservations1764000001100 } from './1764000001100-allow-restocked-reservations';

/** Each service's own tables, for a process that runs only some of the services on a database of its own. */
type Migration = new () => MigrationInterface;

const OWN: Record<ServiceName, readonly Migration[]> = {
  // The saga runtime runs with the orders service: its tables are the orders database's.
  orders: [...sagaMigrations, CreateOrdersTables1764000000100, CreateOrderCatalog1764000000700, CreateOrderReturns1764000000800],
  inventory: [CreateInventoryTables1764000000200, AllowRestockedReservations1764000001100],
  payment: [
    CreatePaymentsTables1764000000300,
    CreatePaymentMethodsTable1764000000500,
    CreatePaymentMethodReceipts1764000000600,
    AddPaymentProviderRef1764000001000,
  ],
  shipping: [CreateShipmentsTables1764000000400, CreateShipmentReturns1764000000900],
};

/** One service's own tables (its module's specs run on these alone). */
export function ownMigrations(service: ServiceName): Migration[] {
  return [...OWN[service]];
}

/** The migrations of a process that runs `services` apart from the others: theirs, and the outbox and inbox. */
export function serviceMigrations(services: readonly ServiceName[]): Migration[] {
  return [...services.flatMap((name) => OWN[name]), ...messagingMigrations];
}
