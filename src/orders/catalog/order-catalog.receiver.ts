import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { SagaEventReceivers } from 'sagaworks';
import type { DataSource } from 'typeorm';
import { CatalogPublishedEvent } from '../../inventory/events';

/** A product keeps its latest name and price; one not in the catalog any more stays, so old orders still read. */
const UPSERT_SQL = `INSERT INTO order_catalog (sku, name, price_cents)
  SELECT * FROM unnest($1::text[], $2::text[], $3::int[])
  ON CONFLICT (sku) DO UPDATE SET name = excluded.name, price_cents = excluded.price_cents, updated_at = now()
  WHERE (order_catalog.name, order_catalog.price_cents) IS DISTINCT FROM (excluded.name, excluded.price_cents)`;

/** Keeps `order_catalog` in step with inventory's catalog, when inventory runs in another process. */
@Injectable()
export class OrderCatalogReceiver implements OnModuleInit, OnModuleDestroy {
  private undo?: () => void;

  constructor(
    private readonly receivers: SagaEventReceivers,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  onModuleInit(): void {
    this.undo = this.receivers.on(CatalogPublishedEvent, async ({ products }) => {
      await this.dataSource.query(UPSERT_SQL, [products.map((p) => p.sku), products.map((p) => p.name), products.map((p) => p.priceCents)]);
    });
  }

  onModuleDestroy(): void {
    this.undo?.();
  }
}
