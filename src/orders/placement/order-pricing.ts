import { Injectable } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { GetProductsQuery, pricedLinesSql, type ProductView } from '../../inventory';
import { prepared } from '../../database/prepared-statement';

/** Where placing an order gets its prices: a FROM item for the placing statement, and which SKUs exist. */
export abstract class OrderPricing {
  /** See inventory's `pricedLinesSql`: one row with the priced `lines` (NULL for an unknown SKU) and `total_cents`. */
  abstract pricedLinesSql(lines: string): string;
  /** Which of these SKUs the catalog has. */
  abstract knownSkus(skus: readonly string[]): Promise<Set<string>>;
}

/** In one process: the inventory module's own catalog, read in the placing statement. */
@Injectable()
export class InventoryCatalogPricing extends OrderPricing {
  constructor(private readonly queryBus: QueryBus) {
    super();
  }

  pricedLinesSql(lines: string): string {
    return pricedLinesSql(lines);
  }

  async knownSkus(skus: readonly string[]): Promise<Set<string>> {
    const products: ProductView[] = await this.queryBus.execute(new GetProductsQuery([...skus]));
    return new Set(products.map((p) => p.sku));
  }
}

const KNOWN_SQL = prepared(`SELECT sku FROM order_catalog WHERE sku = ANY($1::text[])`);

/** When inventory runs elsewhere: the orders service's copy, `order_catalog`, fed by `CatalogPublishedEvent`. */
@Injectable()
export class OrderCatalogPricing extends OrderPricing {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  pricedLinesSql(lines: string): string {
    return pricedLinesSql(lines, 'order_catalog');
  }

  async knownSkus(skus: readonly string[]): Promise<Set<string>> {
    const rows = await this.dataSource.query<{ sku: string }[]>(KNOWN_SQL, [[...skus]]);
    return new Set(rows.map((r) => r.sku));
  }
}
