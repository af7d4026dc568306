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

@QueryHandler(GetProductsQuery)
export class GetProductsHandler implements IQueryHandler<GetProductsQuery> {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async execute({ skus }: GetProductsQuery): Promise<ProductView[]> {
    // COLLATE "C": the same order on every database, whatever its locale.
    const rows = await this.dataSource.query<ProductRow[]>(
      prepared(`SELECT sku, name, price_cents, available FROM inventory_products
       WHERE $1::text[] IS NULL OR sku = ANY($1::text[])
       ORDER BY sku COLLATE "C"`),
      [skus ? [...skus] : null],
    );
    return rows.map((r) => ({ sku: r.sku, name: r.name, priceCents: r.price_cents, available: r.available }));
  }
}
