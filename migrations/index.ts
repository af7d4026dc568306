import { sagaMigrations } from 'sagaworks';
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

/** Every migration the app runs, the saga module's own first. Order matters only by timestamp. */
export const allMigrations = [
  ...sagaMigrations,
  CreateOrdersTables1764000000100,
  CreateInventoryTables1764000000200,
  CreatePaymentsTables1764000000300,
  CreateShipmentsTables1764000000400,
  CreatePaymentMethodsTable1764000000500,
  CreatePaymentMethodReceipts1764000000600,
  CreateOrderCatalog1764000000700,
  CreateOrderReturns1764000000800,
  CreateShipmentReturns1764000000900,
  AddPaymentProviderRef1764000001000,
  AllowRestockedReservations1764000001100,
];
