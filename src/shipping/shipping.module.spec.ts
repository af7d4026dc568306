import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { CommandBus, type IEvent, QueryBus } from '@nestjs/cqrs';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { ownMigrations } from '../../migrations/services';
import { startModuleTestApp, type ModuleTestApp } from '../../test/support/module-test-app';
import { databaseKinds } from '../../test/support/test-database';
import {
  CancelShipmentCommand,
  CreateShipmentCommand,
  GetShipmentsQuery,
  ShipmentCancelledEvent,
  ShipmentCreatedEvent,
  ShipmentFailedEvent,
  type ShippingAddress,
  ShippingModule,
} from './index';

interface ShipmentRow {
  id: string;
  status: string;
  tracking_number: string | null;
  reason: string | null;
  address: Record<string, string>;
}

const HOME: ShippingAddress = { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };
const ANTARCTICA: ShippingAddress = { line1: 'McMurdo Station', city: 'Ross Island', postalCode: '0000', country: 'AQ' };
const TRACKING = /^TRK-[0-9A-F]{10}$/;

describe.each(databaseKinds())('ShippingModule on %s', (kind) => {
  let t: ModuleTestApp;
  let app: INestApplication<Server>;
  let commandBus: CommandBus;
  let dataSource: DataSource;
  let events: IEvent[] = [];

  beforeAll(async () => {
    t = await startModuleTestApp(kind, { migrations: ownMigrations('shipping'), module: ShippingModule });
    app = t.app;
    commandBus = t.commandBus;
    dataSource = t.dataSource;
    events = t.events;
  });

  afterAll(async () => {
    await t?.close();
  });

  beforeEach(() => {
    events.length = 0;
  });

  async function shipments(orderId: string): Promise<ShipmentRow[]> {
    return dataSource.query<ShipmentRow[]>(`SELECT id, status, tracking_number, reason, address FROM shipments WHERE order_id = $1`, [
      orderId,
    ]);
  }

  const eventsFor = (orderId: string): IEvent[] => events.filter((e) => (e as { orderId?: string }).orderId === orderId);

  const ids = () => ({ sagaId: randomUUID(), orderId: randomUUID() });

  describe('CreateShipmentCommand', () => {
    it('books a shipment with a tracking number and publishes ShipmentCreatedEvent', async () => {
      const { sagaId, orderId } = ids();
      await commandBus.execute(new CreateShipmentCommand(sagaId, orderId, HOME));
      const rows = await shipments(orderId);
      expect(rows).toEqual([
        { id: expect.any(String), status: 'CREATED', tracking_number: expect.stringMatching(TRACKING), reason: null, address: { ...HOME } },
      ]);
      expect(eventsFor(orderId)).toEqual([new ShipmentCreatedEvent(sagaId, orderId, rows[0].id, rows[0].tracking_number as string)]);
    });

    it('cannot ship to AQ: records the rejection and publishes ShipmentFailedEvent', async () => {
      const { sagaId, orderId } = ids();
      await commandBus.execute(new CreateShipmentCommand(sagaId, orderId, ANTARCTICA));
      expect(await shipments(orderId)).toEqual([
        expect.objectContaining({ status: 'REJECTED', tracking_number: null, reason: 'cannot ship to AQ' }),
      ]);
      expect(eventsFor(orderId)).toEqual([new ShipmentFailedEvent(sagaId, orderId, 'cannot ship to AQ')]);
    });

    it('rejects an address with missing fields', async () => {
      const { sagaId, orderId } = ids();
      await commandBus.execute(new CreateShipmentCommand(sagaId, orderId, { ...HOME, city: ' ', country: '' }));
      expect(eventsFor(orderId)).toEqual([new ShipmentFailedEvent(sagaId, orderId, 'invalid shipping address: missing city, country')]);
    });

    it('is idempotent: a repeat books nothing more and publishes the same event', async () => {
      const { sagaId, orderId } = ids();
      await commandBus.execute(new CreateShipmentCommand(sagaId, orderId, HOME));
      await commandBus.execute(new CreateShipmentCommand(sagaId, orderId, HOME));
      // Even a repeat with another address answers from the stored row.
      await commandBus.execute(new CreateShipmentCommand(sagaId, orderId, ANTARCTICA));
      const rows = await shipments(orderId);
      expect(rows).toHaveLength(1);
      const created = new ShipmentCreatedEvent(sagaId, orderId, rows[0].id, rows[0].tracking_number as string);
      expect(eventsFor(orderId)).toEqual([created, created, created]);
    });

    it('is idempotent for a rejection too', async () => {
      const { sagaId, orderId } = ids();
      await commandBus.execute(new CreateShipmentCommand(sagaId, orderId, ANTARCTICA));
      await commandBus.execute(new CreateShipmentCommand(sagaId, orderId, HOME));
      expect((await shipments(orderId)).map((r) => r.status)).toEqual(['REJECTED']);
      expect(eventsFor(orderId)).toEqual([1, 2].map(() => new ShipmentFailedEvent(sagaId, orderId, 'cannot ship to AQ')));
    });

    it('books one shipment under concurrent repeats, and every answer names it', async () => {
      const { sagaId, orderId } = ids();
      await Promise.all(Array.from({ length: 10 }, () => commandBus.execute(new CreateShipmentCommand(sagaId, orderId, HOME))));
      const rows = await shipments(orderId);
      expect(rows).toHaveLength(1);
      const created = new ShipmentCreatedEvent(sagaId, orderId, rows[0].id, rows[0].tracking_number as string);
      expect(eventsFor(orderId)).toEqual(Array.from({ length: 10 }, () => created));
    });
  });

  describe('CancelShipmentCommand', () => {
    it('cancels a shipment once; a later creation fails instead of booking again', async () => {
      const { sagaId, orderId } = ids();
      await commandBus.execute(new CreateShipmentCommand(sagaId, orderId, HOME));
      const [booked] = await shipments(orderId);
      await commandBus.execute(new CancelShipmentCommand(sagaId, orderId));
      await commandBus.execute(new CancelShipmentCommand(sagaId, orderId));
      await commandBus.execute(new CreateShipmentCommand(sagaId, orderId, HOME));
      expect(await shipments(orderId)).toEqual([
        expect.objectContaining({ id: booked.id, status: 'CANCELLED', tracking_number: booked.tracking_number }),
      ]);
      expect(eventsFor(orderId).slice(1)).toEqual([
        new ShipmentCancelledEvent(sagaId, orderId),
        new ShipmentCancelledEvent(sagaId, orderId),
        new ShipmentFailedEvent(sagaId, orderId, 'shipment was cancelled'),
      ]);
    });

    it('leaves a VOIDED tombstone when it arrives first, so the late creation books nothing', async () => {
      const { sagaId, orderId } = ids();
      await commandBus.execute(new CancelShipmentCommand(sagaId, orderId));
      await commandBus.execute(new CreateShipmentCommand(sagaId, orderId, HOME));
      expect(await shipments(orderId)).toEqual([expect.objectContaining({ status: 'VOIDED', tracking_number: null, address: {} })]);
      expect(eventsFor(orderId)).toEqual([
        new ShipmentCancelledEvent(sagaId, orderId),
        new ShipmentFailedEvent(sagaId, orderId, 'shipment was cancelled'),
      ]);
    });

    it('leaves a rejected shipment as it is', async () => {
      const { sagaId, orderId } = ids();
      await commandBus.execute(new CreateShipmentCommand(sagaId, orderId, ANTARCTICA));
      await commandBus.execute(new CancelShipmentCommand(sagaId, orderId));
      expect(await shipments(orderId)).toEqual([expect.objectContaining({ status: 'REJECTED', reason: 'cannot ship to AQ' })]);
      expect(eventsFor(orderId)[1]).toEqual(new ShipmentCancelledEvent(sagaId, orderId));
    });

    it('never leaves a live shipment when a cancellation races its creation', async () => {
      const pairs = Array.from({ length: 10 }, ids);
      await Promise.all(
        pairs.flatMap(({ sagaId, orderId }, i) => {
          const create = () => commandBus.execute(new CreateShipmentCommand(sagaId, orderId, HOME));
          const cancel = () => commandBus.execute(new CancelShipmentCommand(sagaId, orderId));
          return i % 2 === 0 ? [create(), cancel()] : [cancel(), create()];
        }),
      );
      for (const { orderId } of pairs) {
        const [row] = await shipments(orderId);
        expect(['CANCELLED', 'VOIDED']).toContain(row.status);
      }
    });
  });

  describe('GET /shipments', () => {
    it("lists an order's shipment, hides rejected ones and tombstones, and rejects a malformed orderId", async () => {
      const booked = ids();
      const rejected = ids();
      const voided = ids();
      await commandBus.execute(new CreateShipmentCommand(booked.sagaId, booked.orderId, HOME));
      await commandBus.execute(new CreateShipmentCommand(rejected.sagaId, rejected.orderId, ANTARCTICA));
      await commandBus.execute(new CancelShipmentCommand(voided.sagaId, voided.orderId));
      const [row] = await shipments(booked.orderId);
      const server = app.getHttpServer();

      const one = await request(server).get('/shipments').query({ orderId: booked.orderId }).expect(200);
      expect(one.body).toEqual([{ id: row.id, orderId: booked.orderId, status: 'CREATED', trackingNumber: row.tracking_number }]);

      await request(server).get('/shipments').query({ orderId: rejected.orderId }).expect(200, []);
      await request(server).get('/shipments').query({ orderId: voided.orderId }).expect(200, []);

      const all = await request(server).get('/shipments').expect(200);
      const listed = all.body as Array<{ orderId: string; status: string }>;
      expect(listed.some((s) => s.orderId === booked.orderId)).toBe(true);
      expect(listed.every((s) => s.status === 'CREATED' || s.status === 'CANCELLED')).toBe(true);

      const bad = await request(server).get('/shipments').query({ orderId: '42' }).expect(400);
      expect(bad.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(JSON.stringify((bad.body as { message: unknown }).message)).toContain('orderId');
    });

    it('backs the endpoint with GetShipmentsQuery', async () => {
      const { sagaId, orderId } = ids();
      await commandBus.execute(new CreateShipmentCommand(sagaId, orderId, HOME));
      await commandBus.execute(new CancelShipmentCommand(sagaId, orderId));
      const views = await app.get(QueryBus).execute(new GetShipmentsQuery(orderId));
      expect(views).toEqual([{ id: expect.any(String), orderId, status: 'CANCELLED', trackingNumber: expect.stringMatching(TRACKING) }]);
    });
  });
});
