/**
 * Public contract of the inventory module. Other modules import from here only.
 */
export { InventoryModule } from './inventory.module';
export { INVENTORY_OPTIONS, type InventoryOptions } from './inventory.options';
export { ReserveInventoryCommand, type ReservationItem } from './commands/impl/reserve-inventory.command';
export { ReleaseInventoryCommand } from './commands/impl/release-inventory.command';
export * from './events';
export { GetProductsQuery } from './queries/impl/get-products.query';
export { ProductView } from './queries/product.view';
export { pricedLinesSql } from './queries/priced-lines.sql';
