import { Query } from '@nestjs/cqrs';
import type { ProductView } from '../product.view';

/** Catalog products sorted by SKU: all of them, or only the given SKUs (unknown SKUs are simply absent). */
export class GetProductsQuery extends Query<ProductView[]> {
  constructor(public readonly skus?: readonly string[]) {
    super();
  }
}
