import { Query } from '@nestjs/cqrs';
import type { EntityManager } from 'typeorm';
import type { ProductView } from '../product.view';

/** Catalog products sorted by SKU: all of them, or only the given SKUs (unknown SKUs are simply absent). */
export class GetProductsQuery extends Query<ProductView[]> {
  constructor(
    public readonly skus?: readonly string[],
    /**
     * The caller's transaction, when the read belongs to it: the read then costs no transaction (and no commit)
     * of its own.
     */
    public readonly within?: EntityManager,
  ) {
    super();
  }
}
