/** The events of the inventory module: what the other modules may react to (imported without the module itself). */
export { CatalogPublishedEvent, type CatalogEntry } from './catalog-published.event';
export { InventoryReleasedEvent } from './inventory-released.event';
export { InventoryReservationFailedEvent } from './inventory-reservation-failed.event';
export { InventoryReservedEvent } from './inventory-reserved.event';
export { ReturnRestockedEvent } from './return-restocked.event';
