/**
 * Public contract of the inventory module. Other modules import from here only.
 */
export { InventoryModule } from './inventory.module';
export { INVENTORY_OPTIONS, type InventoryOptions } from './inventory.options';
export { ReserveInventoryCommand, type ReservationItem } from './commands/impl/reserve-inventory.command';
export { ReleaseInventoryCommand } from './commands/impl/release-inventory.command';
export { InventoryReservedEvent } from './events/inventory-reserved.event';
export { InventoryReservationFailedEvent } from './events/inventory-reservation-failed.event';
export { InventoryReleasedEvent } from './events/inventory-released.event';
export { GetProductsQuery } from './queries/impl/get-products.query';
export { ProductView } from './queries/product.view';
export { pricedLinesSql } from './queries/priced-lines.sql';
export { CatalogPublishedEvent, type CatalogEntry } from './events/catalog-published.event';
export { ReturnRestockedEvent } from './events/return-restocked.event';
