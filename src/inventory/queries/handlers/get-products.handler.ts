import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { GetProductsQuery } from '../impl/get-products.query';
import type { ProductView } from '../product.view';
import { prepared } from '../../../database/prepared-statement';

interface ProductRow {
  sku: string;
  name: string;
  price_cents: number;
  available: number;
}

// Two statements rather than one with `$1 IS NULL OR sku = ANY($1)`: that one could not keep a generic plan and
// was planned again on every call. COLLATE "C": the same order on every database, whatever its locale.
const ALL_SQL = prepared(`SELECT sku, name, price_cents, available FROM inventory_products ORDER BY sku COLLATE "C"`);
const BY_SKUS_SQL = prepared(
  `SELECT sku, name, price_cents, available FROM inventory_products WHERE sku = ANY($1::text[]) ORDER BY sku COLLATE "C"`,
);

@QueryHandler(GetProductsQuery)
export class GetProductsHandler implements IQueryHandler<GetProductsQuery> {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async execute({ skus }: GetProductsQuery): Promise<ProductView[]> {
    const rows = skus
      ? await this.dataSource.query<ProductRow[]>(BY_SKUS_SQL, [[...skus]])
      : await this.dataSource.query<ProductRow[]>(ALL_SQL);
    return rows.map((r) => ({ sku: r.sku, name: r.name, priceCents: r.price_cents, available: r.available }));
  }
}
