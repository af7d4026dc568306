import type { IEvent } from '@nestjs/cqrs';

/** A product as another service may copy it: what it is called and what it costs. */
export interface CatalogEntry {
  sku: string;
  name: string;
  priceCents: number;
}

/**
 * The whole catalog, as inventory holds it. Published at start when the services run apart, so the orders
 * service can price an order from its own copy (`order_catalog`) in the statement that places it.
 */
export class CatalogPublishedEvent implements IEvent {
  constructor(public readonly products: readonly CatalogEntry[]) {}
}
