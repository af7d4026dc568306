/** Injection token for {@link InventoryOptions}. */
export const INVENTORY_OPTIONS = Symbol('INVENTORY_OPTIONS');

/** How `InventoryModule.forRoot` configures the module. */
export interface InventoryOptions {
  /** Units of each catalog product inserted when the product does not exist yet. */
  seedStock: number;
}
