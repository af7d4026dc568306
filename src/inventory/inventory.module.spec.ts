import { ownMigrations } from '../../migrations/services';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { CommandBus, type IEvent, QueryBus } from '@nestjs/cqrs';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { startModuleTestApp, type ModuleTestApp } from '../../test/support/module-test-app';
import { databaseKinds } from '../../test/support/test-database';
import { InventorySeeder } from './inventory.seeder';
import {
  GetProductsQuery,
  InventoryModule,
  pricedLinesSql,
  InventoryReleasedEvent,
  InventoryReservationFailedEvent,
  InventoryReservedEvent,
  ReleaseInventoryCommand,
  ReserveInventoryCommand,
} from './index';

interface StockRow {
  available: number;
  reserved: number;
}

interface ReservationRow {
  status: string;
  reason: string | null;
  items: { sku: string; quantity: number }[];
}

describe.each(databaseKinds())('InventoryModule on %s', (kind) => {
  let t: ModuleTestApp;
  let app: INestApplication<Server>;
  let commandBus: CommandBus;
  let queryBus: QueryBus;
  let dataSource: DataSource;
  let events: IEvent[] = [];

  beforeAll(async () => {
    t = await startModuleTestApp(kind, {
      migrations: ownMigrations('inventory'),
      module: InventoryModule.forRoot({ seedStock: 10 }),
    });
    app = t.app;
    commandBus = t.commandBus;
    queryBus = t.queryBus;
    dataSource = t.dataSource;
    events = t.events;
  });

  afterAll(async () => {
    await t?.close();
  });

  beforeEach(() => {
    events.length = 0;
  });

  /** A product of this test's own, so tests never share stock. */
  async function addProduct(available: number): Promise<string> {
    const sku = `T-${randomUUID().slice(0, 8)}`;
    await dataSource.query(`INSERT INTO inventory_products (sku, name, price_cents, available) VALUES ($1, $2, 100, $3)`, [
      sku,
      `Test ${sku}`,
      available,
    ]);
    return sku;
  }

  async function stock(sku: string): Promise<StockRow> {
    const [row] = await dataSource.query<StockRow[]>(`SELECT available, reserved FROM inventory_products WHERE sku = $1`, [sku]);
    return row;
  }

  async function reservation(orderId: string): Promise<ReservationRow | undefined> {
    const rows = await dataSource.query<ReservationRow[]>(`SELECT status, reason, items FROM inventory_reservations WHERE order_id = $1`, [
      orderId,
    ]);
    return rows[0];
  }

  /** Runs `work` inside a transaction on its own connection and commits once another statement waits on its locks. */
  async function commitWhenBlocking(
    work: (query: (sql: string, params?: unknown[]) => Promise<unknown>) => Promise<void>,
    blocked: () => Promise<void>,
  ): Promise<void> {
    const runner = dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      await work((sql, params) => runner.query(sql, params));
      const pending = blocked();
      for (let i = 0; i < 200; i++) {
        const [{ n }] = await dataSource.query<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        if (n > 0) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      await runner.commitTransaction();
      await pending;
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
  }

  // Needs a second connection to hold locks, which the one-session PGlite pool cannot give: such tests exist
  // only in the PostgreSQL pass (registered, not skipped, so CI never reports a skip).
  const onPostgres = (name: string, fn: () => Promise<void>): void => {
    if (kind === 'postgres') it(name, fn);
  };

  const eventsFor = (orderId: string): IEvent[] => events.filter((e) => (e as { orderId?: string }).orderId === orderId);

  describe('catalog', () => {
    it('seeds SKU-001..SKU-005 with the configured stock, sorted by SKU', async () => {
      const products = await queryBus.execute(new GetProductsQuery(['SKU-005', 'SKU-003', 'SKU-001', 'SKU-004', 'SKU-002']));
      expect(products.map((p) => p.sku)).toEqual(['SKU-001', 'SKU-002', 'SKU-003', 'SKU-004', 'SKU-005']);
      for (const p of products) {
        expect(p.available).toBe(10);
        expect(Number.isInteger(p.priceCents)).toBe(true);
        expect(p.name.length).toBeGreaterThan(0);
      }
    });

    it('does not reset stock when the seeder runs again', async () => {
      const sku = 'SKU-005';
      const sagaId = randomUUID();
      const orderId = randomUUID();
      await commandBus.execute(new ReserveInventoryCommand(sagaId, orderId, [{ sku, quantity: 1 }]));
      await app.get(InventorySeeder).onApplicationBootstrap();
      expect(await stock(sku)).toEqual({ available: 9, reserved: 1 });
      await commandBus.execute(new ReleaseInventoryCommand(sagaId, orderId));
      expect(await stock(sku)).toEqual({ available: 10, reserved: 0 });
    });

    it('leaves unknown SKUs out of the query result', async () => {
      const products = await queryBus.execute(new GetProductsQuery(['SKU-002', 'NOPE-1']));
      expect(products.map((p) => p.sku)).toEqual(['SKU-002']);
      expect(await queryBus.execute(new GetProductsQuery([]))).toEqual([]);
    });

    it('prices order lines inside another statement (pricedLinesSql): in order, with their total, or NULL for an unknown SKU', async () => {
      const price = async (lines: unknown): Promise<unknown> =>
        (
          await dataSource.query<unknown[]>(
            `SELECT priced.lines, priced.total_cents::int AS total FROM ${pricedLinesSql('$1')} AS priced`,
            [JSON.stringify(lines)],
          )
        )[0];
      const [mug, other] = (await queryBus.execute(new GetProductsQuery(['SKU-001', 'SKU-003']))) as { priceCents: number }[];
      expect(
        await price([
          { sku: 'SKU-003', quantity: 2 },
          { sku: 'SKU-001', quantity: 1 },
          { sku: 'SKU-003', quantity: 5 },
        ]),
      ).toEqual({
        lines: [
          { sku: 'SKU-003', quantity: 2, unitPriceCents: other.priceCents },
          { sku: 'SKU-001', quantity: 1, unitPriceCents: mug.priceCents },
          { sku: 'SKU-003', quantity: 5, unitPriceCents: other.priceCents },
        ],
        total: 7 * other.priceCents + mug.priceCents,
      });
      expect(
        await price([
          { sku: 'SKU-001', quantity: 1 },
          { sku: 'NOPE-1', quantity: 1 },
        ]),
      ).toMatchObject({ lines: null });
      expect(await price([])).toEqual({ lines: null, total: null });
    });

    it('looks each SKU up by its key, so pricing costs the same in a large catalog', async () => {
      const plan = await dataSource.query<Record<string, string>[]>(
        `EXPLAIN SELECT priced.lines FROM ${pricedLinesSql(`'[{"sku":"SKU-001","quantity":1}]'`)} AS priced`,
      );
      const text = plan.map((row) => Object.values(row)[0]).join('\n');
      expect(text).toMatch(/Index Scan using \w+ on inventory_products/);
      expect(text).not.toMatch(/Seq Scan on inventory_products/);
    });

    it('serves GET /products', async () => {
      const res = await request(app.getHttpServer()).get('/products').expect(200);
      const body = res.body as Array<Record<string, unknown>>;
      const catalog = body.filter((p) => String(p.sku).startsWith('SKU-'));
      expect(catalog.map((p) => p.sku)).toEqual(['SKU-001', 'SKU-002', 'SKU-003', 'SKU-004', 'SKU-005']);
      expect(Object.keys(catalog[0]).sort()).toEqual(['available', 'name', 'priceCents', 'sku']);
      expect(catalog[0]).toEqual({ sku: 'SKU-001', name: expect.any(String), priceCents: 1299, available: 10 });
    });
  });

  describe('ReserveInventoryCommand', () => {
    it('reserves every item, merging repeated SKUs, and publishes InventoryReservedEvent', async () => {
      const a = await addProduct(10);
      const b = await addProduct(5);
      const sagaId = randomUUID();
      const orderId = randomUUID();
      await commandBus.execute(
        new ReserveInventoryCommand(sagaId, orderId, [
          { sku: a, quantity: 2 },
          { sku: b, quantity: 5 },
          { sku: a, quantity: 1 },
        ]),
      );
      expect(await stock(a)).toEqual({ available: 7, reserved: 3 });
      expect(await stock(b)).toEqual({ available: 0, reserved: 5 });
      const row = await reservation(orderId);
      expect(row?.status).toBe('RESERVED');
      expect(row?.items).toEqual(
        expect.arrayContaining([
          { sku: a, quantity: 3 },
          { sku: b, quantity: 5 },
        ]),
      );
      expect(eventsFor(orderId)).toEqual([new InventoryReservedEvent(sagaId, orderId)]);
    });

    it('reserves nothing when one item is short, and says which', async () => {
      const a = await addProduct(10);
      const b = await addProduct(2);
      const sagaId = randomUUID();
      const orderId = randomUUID();
      await commandBus.execute(
        new ReserveInventoryCommand(sagaId, orderId, [
          { sku: a, quantity: 1 },
          { sku: b, quantity: 5 },
        ]),
      );
      expect(await stock(a)).toEqual({ available: 10, reserved: 0 });
      expect(await stock(b)).toEqual({ available: 2, reserved: 0 });
      const reason = `insufficient stock for ${b}: requested 5, available 2`;
      expect(await reservation(orderId)).toMatchObject({ status: 'REJECTED', reason });
      expect(eventsFor(orderId)).toEqual([new InventoryReservationFailedEvent(sagaId, orderId, reason)]);
    });

    it('rejects an unknown SKU without touching the known ones', async () => {
      const a = await addProduct(10);
      const orderId = randomUUID();
      await commandBus.execute(
        new ReserveInventoryCommand(randomUUID(), orderId, [
          { sku: a, quantity: 1 },
          { sku: 'NOPE-404', quantity: 1 },
        ]),
      );
      expect(await stock(a)).toEqual({ available: 10, reserved: 0 });
      const [event] = eventsFor(orderId);
      expect(event).toBeInstanceOf(InventoryReservationFailedEvent);
      expect((event as InventoryReservationFailedEvent).reason).toBe('unknown SKU NOPE-404');
    });

    it.each([[0], [-3], [1.5]])('rejects quantity %p and never turns it into a restock', async (quantity) => {
      const a = await addProduct(10);
      const orderId = randomUUID();
      await commandBus.execute(new ReserveInventoryCommand(randomUUID(), orderId, [{ sku: a, quantity }]));
      expect(await stock(a)).toEqual({ available: 10, reserved: 0 });
      expect(await reservation(orderId)).toMatchObject({ status: 'REJECTED', reason: `invalid quantity ${quantity} for ${a}` });
      expect(eventsFor(orderId)[0]).toBeInstanceOf(InventoryReservationFailedEvent);
    });

    it('rejects an order with no items', async () => {
      const orderId = randomUUID();
      await commandBus.execute(new ReserveInventoryCommand(randomUUID(), orderId, []));
      expect(eventsFor(orderId)).toEqual([expect.objectContaining({ reason: 'no items to reserve' })]);
    });

    it('is idempotent: a repeat reserves nothing more and publishes the same event', async () => {
      const a = await addProduct(10);
      const sagaId = randomUUID();
      const orderId = randomUUID();
      const command = new ReserveInventoryCommand(sagaId, orderId, [{ sku: a, quantity: 4 }]);
      await commandBus.execute(command);
      await commandBus.execute(command);
      await commandBus.execute(command);
      expect(await stock(a)).toEqual({ available: 6, reserved: 4 });
      expect(eventsFor(orderId)).toEqual([1, 2, 3].map(() => new InventoryReservedEvent(sagaId, orderId)));
    });

    it('is idempotent for a rejection too, even once stock has arrived', async () => {
      const a = await addProduct(1);
      const sagaId = randomUUID();
      const orderId = randomUUID();
      const command = new ReserveInventoryCommand(sagaId, orderId, [{ sku: a, quantity: 3 }]);
      await commandBus.execute(command);
      await dataSource.query(`UPDATE inventory_products SET available = 50 WHERE sku = $1`, [a]);
      await commandBus.execute(command);
      expect(await stock(a)).toEqual({ available: 50, reserved: 0 });
      const reason = `insufficient stock for ${a}: requested 3, available 1`;
      expect(eventsFor(orderId)).toEqual([1, 2].map(() => new InventoryReservationFailedEvent(sagaId, orderId, reason)));
    });

    it('never oversells: 30 concurrent reservations of 1 unit against 10 in stock', async () => {
      const a = await addProduct(10);
      const orders: string[] = Array.from({ length: 30 }, () => randomUUID());
      await Promise.all(
        orders.map((orderId) => commandBus.execute(new ReserveInventoryCommand(randomUUID(), orderId, [{ sku: a, quantity: 1 }]))),
      );
      const [counts] = await dataSource.query<{ reserved: number; rejected: number }[]>(
        `SELECT count(*) FILTER (WHERE status = 'RESERVED')::int AS reserved, count(*) FILTER (WHERE status = 'REJECTED')::int AS rejected
         FROM inventory_reservations WHERE order_id = ANY($1::uuid[])`,
        [orders],
      );
      expect(counts).toEqual({ reserved: 10, rejected: 20 });
      expect(await stock(a)).toEqual({ available: 0, reserved: 10 });
      const published = events.filter((e) => orders.includes((e as InventoryReservedEvent).orderId));
      expect(published.filter((e) => e instanceof InventoryReservedEvent)).toHaveLength(10);
      expect(published.filter((e) => e instanceof InventoryReservationFailedEvent)).toHaveLength(20);
    });

    it('conserves stock and never deadlocks when overlapping multi-SKU reservations and releases race', async () => {
      const skus = [await addProduct(20), await addProduct(20), await addProduct(20)];
      const orders = Array.from({ length: 24 }, (_, i) => ({
        orderId: randomUUID(),
        sagaId: randomUUID(),
        // Each order lists the SKUs in a different order, so a handler that locked in request order would deadlock.
        items: (i % 2 === 0 ? [...skus] : [...skus].reverse()).map((sku, j) => ({ sku, quantity: 1 + ((i + j) % 3) })),
      }));
      await Promise.all(
        orders.flatMap((o, i) => [
          commandBus.execute(new ReserveInventoryCommand(o.sagaId, o.orderId, o.items)),
          ...(i % 3 === 0 ? [commandBus.execute(new ReleaseInventoryCommand(o.sagaId, o.orderId))] : []),
        ]),
      );
      for (const sku of skus) {
        const s = await stock(sku);
        expect(s.available).toBeGreaterThanOrEqual(0);
        expect(s.available + s.reserved).toBe(20);
        const [held] = await dataSource.query<{ q: number }[]>(
          `SELECT coalesce(sum((i->>'quantity')::int), 0)::int AS q FROM inventory_reservations r, jsonb_array_elements(r.items) i
           WHERE r.status = 'RESERVED' AND i->>'sku' = $1`,
          [sku],
        );
        expect(s.reserved).toBe(held.q);
      }
      // Release the rest: every unit comes back.
      await Promise.all(orders.map((o) => commandBus.execute(new ReleaseInventoryCommand(o.sagaId, o.orderId))));
      for (const sku of skus) expect(await stock(sku)).toEqual({ available: 20, reserved: 0 });
    });
  });

  describe('stale snapshots (a statement that waited on a lock)', () => {
    onPostgres('reserves from the latest stock when a restock commits while it waits', async () => {
      const a = await addProduct(0);
      const orderId = randomUUID();
      await commitWhenBlocking(
        (query) => query(`UPDATE inventory_products SET available = 5 WHERE sku = $1`, [a]).then(() => undefined),
        () => commandBus.execute(new ReserveInventoryCommand(randomUUID(), orderId, [{ sku: a, quantity: 3 }])),
      );
      expect(await stock(a)).toEqual({ available: 2, reserved: 3 });
      expect(eventsFor(orderId)[0]).toBeInstanceOf(InventoryReservedEvent);
    });

    onPostgres('returns the stock of a reservation that commits while the release waits', async () => {
      const a = await addProduct(10);
      const sagaId = randomUUID();
      const orderId = randomUUID();
      await commitWhenBlocking(
        async (query) => {
          // What an in-flight ReserveInventory holds: its reservation row and the stock it took.
          await query(`INSERT INTO inventory_reservations (order_id, saga_id, items, status) VALUES ($1, $2, $3::jsonb, 'RESERVED')`, [
            orderId,
            sagaId,
            JSON.stringify([{ sku: a, quantity: 4 }]),
          ]);
          await query(`UPDATE inventory_products SET available = available - 4, reserved = reserved + 4 WHERE sku = $1`, [a]);
        },
        () => commandBus.execute(new ReleaseInventoryCommand(sagaId, orderId)),
      );
      expect(await stock(a)).toEqual({ available: 10, reserved: 0 });
      expect((await reservation(orderId))?.status).toBe('RELEASED');
    });
  });

  describe('ReleaseInventoryCommand', () => {
    it('returns reserved stock once, and is idempotent', async () => {
      const a = await addProduct(10);
      const b = await addProduct(10);
      const sagaId = randomUUID();
      const orderId = randomUUID();
      await commandBus.execute(
        new ReserveInventoryCommand(sagaId, orderId, [
          { sku: a, quantity: 3 },
          { sku: b, quantity: 2 },
        ]),
      );
      await commandBus.execute(new ReleaseInventoryCommand(sagaId, orderId));
      expect(await stock(a)).toEqual({ available: 10, reserved: 0 });
      expect(await stock(b)).toEqual({ available: 10, reserved: 0 });
      expect((await reservation(orderId))?.status).toBe('RELEASED');
      await commandBus.execute(new ReleaseInventoryCommand(sagaId, orderId));
      expect(await stock(a)).toEqual({ available: 10, reserved: 0 });
      expect(eventsFor(orderId)).toEqual([
        new InventoryReservedEvent(sagaId, orderId),
        new InventoryReleasedEvent(sagaId, orderId),
        new InventoryReleasedEvent(sagaId, orderId),
      ]);
    });

    it('makes a repeated reservation after the release fail instead of reserving again', async () => {
      const a = await addProduct(10);
      const sagaId = randomUUID();
      const orderId = randomUUID();
      const reserve = new ReserveInventoryCommand(sagaId, orderId, [{ sku: a, quantity: 3 }]);
      await commandBus.execute(reserve);
      await commandBus.execute(new ReleaseInventoryCommand(sagaId, orderId));
      events.length = 0;
      await commandBus.execute(reserve);
      expect(await stock(a)).toEqual({ available: 10, reserved: 0 });
      expect(eventsFor(orderId)).toEqual([new InventoryReservationFailedEvent(sagaId, orderId, 'reservation was released')]);
    });

    it('leaves a tombstone when it arrives before the reservation, so the late reservation does nothing', async () => {
      const a = await addProduct(10);
      const sagaId = randomUUID();
      const orderId = randomUUID();
      await commandBus.execute(new ReleaseInventoryCommand(sagaId, orderId));
      expect(await reservation(orderId)).toMatchObject({ status: 'RELEASED', items: [] });
      await commandBus.execute(new ReserveInventoryCommand(sagaId, orderId, [{ sku: a, quantity: 3 }]));
      expect(await stock(a)).toEqual({ available: 10, reserved: 0 });
      expect((await reservation(orderId))?.status).toBe('RELEASED');
      expect(eventsFor(orderId)).toEqual([
        new InventoryReleasedEvent(sagaId, orderId),
        new InventoryReservationFailedEvent(sagaId, orderId, 'reservation was released'),
      ]);
    });

    it('leaves a rejected reservation as it is', async () => {
      const a = await addProduct(1);
      const sagaId = randomUUID();
      const orderId = randomUUID();
      await commandBus.execute(new ReserveInventoryCommand(sagaId, orderId, [{ sku: a, quantity: 2 }]));
      await commandBus.execute(new ReleaseInventoryCommand(sagaId, orderId));
      expect(await stock(a)).toEqual({ available: 1, reserved: 0 });
      expect((await reservation(orderId))?.status).toBe('REJECTED');
      expect(eventsFor(orderId)[1]).toEqual(new InventoryReleasedEvent(sagaId, orderId));
    });

    it('never strands stock when a release races its own reservation', async () => {
      const a = await addProduct(50);
      const pairs = Array.from({ length: 10 }, () => ({ sagaId: randomUUID(), orderId: randomUUID() }));
      await Promise.all(
        pairs.flatMap(({ sagaId, orderId }, i) => {
          const reserve = () => commandBus.execute(new ReserveInventoryCommand(sagaId, orderId, [{ sku: a, quantity: 2 }]));
          const release = () => commandBus.execute(new ReleaseInventoryCommand(sagaId, orderId));
          return i % 2 === 0 ? [reserve(), release()] : [release(), reserve()];
        }),
      );
      expect(await stock(a)).toEqual({ available: 50, reserved: 0 });
      for (const { orderId } of pairs) {
        expect((await reservation(orderId))?.status).toBe('RELEASED');
        expect(eventsFor(orderId).filter((e) => e instanceof InventoryReleasedEvent)).toHaveLength(1);
      }
    });
  });
});
