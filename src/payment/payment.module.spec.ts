import { ownMigrations } from '../../migrations/services';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { CommandBus, type IEvent, QueryBus } from '@nestjs/cqrs';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { startModuleTestApp, type ModuleTestApp } from '../../test/support/module-test-app';
import { databaseKinds } from '../../test/support/test-database';
import { PaymentProvider } from './provider/payment-provider';
import {
  GetPaymentsQuery,
  PaymentChargedEvent,
  PaymentDeclinedEvent,
  PaymentMethodVault,
  PaymentModule,
  PaymentRefundedEvent,
  ProcessPaymentCommand,
  RefundPaymentCommand,
} from './index';

interface PaymentRow {
  id: string;
  status: string;
  amount_cents: number;
  reason: string | null;
}

describe.each(databaseKinds())('PaymentModule on %s', (kind) => {
  let t: ModuleTestApp;
  let app: INestApplication<Server>;
  let commandBus: CommandBus;
  let dataSource: DataSource;
  let provider: PaymentProvider;
  let events: IEvent[] = [];
  let vault: PaymentMethodVault;

  beforeAll(async () => {
    t = await startModuleTestApp(kind, {
      migrations: ownMigrations('payment'),
      module: PaymentModule,
    });
    app = t.app;
    commandBus = t.commandBus;
    dataSource = t.dataSource;
    provider = app.get(PaymentProvider);
    events = t.events;
    vault = app.get(PaymentMethodVault);
  });

  afterAll(async () => {
    await t?.close();
  });

  beforeEach(() => {
    events.length = 0;
    jest.restoreAllMocks();
  });

  async function payments(orderId: string): Promise<PaymentRow[]> {
    return dataSource.query<PaymentRow[]>(`SELECT id, status, amount_cents, reason FROM payments WHERE order_id = $1`, [orderId]);
  }

  const eventsFor = (orderId: string): IEvent[] => events.filter((e) => (e as { orderId?: string }).orderId === orderId);

  const ids = () => ({ sagaId: randomUUID(), orderId: randomUUID() });

  /** A charge command for a token, which is put in the vault first, as placing an order does. */
  async function paymentCommand(sagaId: string, orderId: string, amountCents: number, token: string): Promise<ProcessPaymentCommand> {
    return new ProcessPaymentCommand(sagaId, orderId, amountCents, await vault.store(token));
  }

  async function vaulted(paymentMethodId: string): Promise<number> {
    const [{ n }] = await dataSource.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM payment_methods WHERE id = $1`, [
      paymentMethodId,
    ]);
    return n;
  }

  describe('the card-token vault', () => {
    it('stores a token by id and forgets it once a charge or a decline is recorded', async () => {
      for (const token of ['tok_visa', 'tok_declined']) {
        const { sagaId, orderId } = ids();
        const command = await paymentCommand(sagaId, orderId, 1200, token);
        expect(await vault.resolve(command.paymentMethodId)).toBe(token);
        await commandBus.execute(command);
        expect(await vaulted(command.paymentMethodId)).toBe(0);
        // A repeat is answered from the payment row, without the token.
        await commandBus.execute(command);
        expect(eventsFor(orderId)).toHaveLength(2);
        expect(eventsFor(orderId)[1]).toEqual(eventsFor(orderId)[0]);
      }
    });

    it('keeps the token while the provider has not answered, and forgets it with the refund', async () => {
      const { sagaId, orderId } = ids();
      const command = await paymentCommand(sagaId, orderId, 1200, 'tok_timeout');
      await commandBus.execute(command);
      expect(await vaulted(command.paymentMethodId)).toBe(1);
      await commandBus.execute(new RefundPaymentCommand(sagaId, orderId, command.paymentMethodId));
      expect(await vaulted(command.paymentMethodId)).toBe(0);
      await commandBus.execute(command);
      expect(eventsFor(orderId)).toEqual([
        new PaymentRefundedEvent(sagaId, orderId),
        new PaymentDeclinedEvent(sagaId, orderId, 'payment was cancelled'),
      ]);
    });

    it('declines a payment method the vault does not hold, without asking the provider', async () => {
      const { sagaId, orderId } = ids();
      const charge = jest.spyOn(provider, 'charge');
      await commandBus.execute(new ProcessPaymentCommand(sagaId, orderId, 1200, randomUUID()));
      expect(charge).not.toHaveBeenCalled();
      expect(eventsFor(orderId)).toEqual([new PaymentDeclinedEvent(sagaId, orderId, 'unknown payment method')]);
    });
  });

  describe('ProcessPaymentCommand', () => {
    it('charges tok_visa once and publishes PaymentChargedEvent with the payment id', async () => {
      const { sagaId, orderId } = ids();
      await commandBus.execute(await paymentCommand(sagaId, orderId, 4997, 'tok_visa'));
      const rows = await payments(orderId);
      expect(rows).toEqual([{ id: expect.any(String), status: 'CHARGED', amount_cents: 4997, reason: null }]);
      expect(eventsFor(orderId)).toEqual([new PaymentChargedEvent(sagaId, orderId, rows[0].id)]);
    });

    it('charges any other token', async () => {
      const { sagaId, orderId } = ids();
      await commandBus.execute(await paymentCommand(sagaId, orderId, 100, 'tok_mastercard'));
      expect((await payments(orderId))[0].status).toBe('CHARGED');
    });

    it('declines tok_declined, records it, and says why', async () => {
      const { sagaId, orderId } = ids();
      await commandBus.execute(await paymentCommand(sagaId, orderId, 4997, 'tok_declined'));
      expect(await payments(orderId)).toEqual([
        { id: expect.any(String), status: 'DECLINED', amount_cents: 4997, reason: 'card declined' },
      ]);
      expect(eventsFor(orderId)).toEqual([new PaymentDeclinedEvent(sagaId, orderId, 'card declined')]);
    });

    it('writes and publishes nothing for tok_timeout, however often it is retried', async () => {
      const { sagaId, orderId } = ids();
      for (let attempt = 0; attempt < 3; attempt++) await commandBus.execute(await paymentCommand(sagaId, orderId, 4997, 'tok_timeout'));
      expect(await payments(orderId)).toEqual([]);
      expect(eventsFor(orderId)).toEqual([]);
    });

    it('declines an invalid amount without asking the provider', async () => {
      const { sagaId, orderId } = ids();
      const charge = jest.spyOn(provider, 'charge');
      await commandBus.execute(await paymentCommand(sagaId, orderId, -5, 'tok_visa'));
      expect(charge).not.toHaveBeenCalled();
      expect(eventsFor(orderId)).toEqual([new PaymentDeclinedEvent(sagaId, orderId, 'invalid amount -5')]);
      expect((await payments(orderId))[0]).toMatchObject({ status: 'DECLINED', amount_cents: 0 });
    });

    it('is idempotent: a repeat charges nothing more and publishes the same event', async () => {
      const { sagaId, orderId } = ids();
      const charge = jest.spyOn(provider, 'charge');
      await commandBus.execute(await paymentCommand(sagaId, orderId, 1500, 'tok_visa'));
      await commandBus.execute(await paymentCommand(sagaId, orderId, 1500, 'tok_visa'));
      // Even a repeat with another token answers from the stored row.
      await commandBus.execute(await paymentCommand(sagaId, orderId, 1500, 'tok_declined'));
      const rows = await payments(orderId);
      expect(rows).toHaveLength(1);
      expect(charge).toHaveBeenCalledTimes(1);
      expect(eventsFor(orderId)).toEqual([1, 2, 3].map(() => new PaymentChargedEvent(sagaId, orderId, rows[0].id)));
    });

    it('is idempotent for a decline too', async () => {
      const { sagaId, orderId } = ids();
      await commandBus.execute(await paymentCommand(sagaId, orderId, 1500, 'tok_declined'));
      await commandBus.execute(await paymentCommand(sagaId, orderId, 1500, 'tok_visa'));
      expect((await payments(orderId)).map((r) => r.status)).toEqual(['DECLINED']);
      expect(eventsFor(orderId)).toEqual([1, 2].map(() => new PaymentDeclinedEvent(sagaId, orderId, 'card declined')));
    });

    it('never charges an order twice under concurrent repeats', async () => {
      const { sagaId, orderId } = ids();
      await Promise.all(
        Array.from({ length: 10 }, async () => void (await commandBus.execute(await paymentCommand(sagaId, orderId, 2500, 'tok_visa')))),
      );
      const rows = await payments(orderId);
      expect(rows).toEqual([expect.objectContaining({ status: 'CHARGED', amount_cents: 2500 })]);
      expect(eventsFor(orderId)).toEqual(Array.from({ length: 10 }, () => new PaymentChargedEvent(sagaId, orderId, rows[0].id)));
    });
  });

  describe('RefundPaymentCommand', () => {
    it('refunds a charge once, and a later charge attempt is declined without reaching the provider', async () => {
      const { sagaId, orderId } = ids();
      await commandBus.execute(await paymentCommand(sagaId, orderId, 999, 'tok_visa'));
      await commandBus.execute(new RefundPaymentCommand(sagaId, orderId));
      await commandBus.execute(new RefundPaymentCommand(sagaId, orderId));
      expect(await payments(orderId)).toEqual([expect.objectContaining({ status: 'REFUNDED', amount_cents: 999 })]);
      const charge = jest.spyOn(provider, 'charge');
      await commandBus.execute(await paymentCommand(sagaId, orderId, 999, 'tok_visa'));
      expect(charge).not.toHaveBeenCalled();
      expect(eventsFor(orderId).slice(1)).toEqual([
        new PaymentRefundedEvent(sagaId, orderId),
        new PaymentRefundedEvent(sagaId, orderId),
        new PaymentDeclinedEvent(sagaId, orderId, 'payment was cancelled'),
      ]);
      expect((await payments(orderId))[0].status).toBe('REFUNDED');
    });

    it('leaves a VOIDED tombstone when it arrives first, so the late charge does nothing', async () => {
      const { sagaId, orderId } = ids();
      await commandBus.execute(new RefundPaymentCommand(sagaId, orderId));
      expect(await payments(orderId)).toEqual([expect.objectContaining({ status: 'VOIDED', amount_cents: 0 })]);
      const charge = jest.spyOn(provider, 'charge');
      await commandBus.execute(await paymentCommand(sagaId, orderId, 999, 'tok_visa'));
      expect(charge).not.toHaveBeenCalled();
      expect(await payments(orderId)).toEqual([expect.objectContaining({ status: 'VOIDED', amount_cents: 0 })]);
      expect(eventsFor(orderId)).toEqual([
        new PaymentRefundedEvent(sagaId, orderId),
        new PaymentDeclinedEvent(sagaId, orderId, 'payment was cancelled'),
      ]);
    });

    it('compensates a charge that never answered: tombstone, and the retry is declined', async () => {
      const { sagaId, orderId } = ids();
      const refund = jest.spyOn(provider, 'refund');
      await commandBus.execute(await paymentCommand(sagaId, orderId, 999, 'tok_timeout'));
      await commandBus.execute(new RefundPaymentCommand(sagaId, orderId));
      // The provider is asked to undo by key, since a charge that timed out may still have gone through there.
      expect(refund).toHaveBeenCalledWith(orderId);
      await commandBus.execute(await paymentCommand(sagaId, orderId, 999, 'tok_timeout'));
      expect(eventsFor(orderId)).toEqual([
        new PaymentRefundedEvent(sagaId, orderId),
        new PaymentDeclinedEvent(sagaId, orderId, 'payment was cancelled'),
      ]);
    });

    it('undoes a charge at the provider when the refund lands while the provider is answering', async () => {
      const { sagaId, orderId } = ids();
      const charge = provider.charge.bind(provider);
      jest.spyOn(provider, 'charge').mockImplementationOnce(async (req) => {
        await commandBus.execute(new RefundPaymentCommand(sagaId, orderId));
        return charge(req);
      });
      const refund = jest.spyOn(provider, 'refund');
      await commandBus.execute(await paymentCommand(sagaId, orderId, 999, 'tok_visa'));
      expect(await payments(orderId)).toEqual([expect.objectContaining({ status: 'VOIDED', amount_cents: 0 })]);
      // Once for the refund command itself, once to undo the charge that lost to the tombstone.
      expect(refund).toHaveBeenCalledTimes(2);
      expect(eventsFor(orderId)).toEqual([
        new PaymentRefundedEvent(sagaId, orderId),
        new PaymentDeclinedEvent(sagaId, orderId, 'payment was cancelled'),
      ]);
    });

    it('leaves a declined payment as it is', async () => {
      const { sagaId, orderId } = ids();
      await commandBus.execute(await paymentCommand(sagaId, orderId, 999, 'tok_declined'));
      await commandBus.execute(new RefundPaymentCommand(sagaId, orderId));
      expect(await payments(orderId)).toEqual([expect.objectContaining({ status: 'DECLINED', reason: 'card declined' })]);
      expect(eventsFor(orderId)[1]).toEqual(new PaymentRefundedEvent(sagaId, orderId));
    });

    it('never leaves money charged when a refund races its charge', async () => {
      const pairs = Array.from({ length: 10 }, ids);
      const refund = jest.spyOn(provider, 'refund');
      await Promise.all(
        pairs.flatMap(({ sagaId, orderId }, i) => {
          const charge = async () => void (await commandBus.execute(await paymentCommand(sagaId, orderId, 700, 'tok_visa')));
          const undo = () => commandBus.execute(new RefundPaymentCommand(sagaId, orderId));
          return i % 2 === 0 ? [charge(), undo()] : [undo(), charge()];
        }),
      );
      for (const { orderId } of pairs) {
        const [row] = await payments(orderId);
        expect(['REFUNDED', 'VOIDED']).toContain(row.status);
        expect(eventsFor(orderId).filter((e) => e instanceof PaymentRefundedEvent)).toHaveLength(1);
      }
      expect(refund.mock.calls.length).toBeGreaterThanOrEqual(pairs.length);
    });
  });

  describe('GET /payments', () => {
    it("lists an order's payment, hides tombstones, and rejects a malformed orderId", async () => {
      const charged = ids();
      const voided = ids();
      await commandBus.execute(await paymentCommand(charged.sagaId, charged.orderId, 4997, 'tok_visa'));
      await commandBus.execute(new RefundPaymentCommand(voided.sagaId, voided.orderId));
      const [row] = await payments(charged.orderId);
      const server = app.getHttpServer();

      const one = await request(server).get('/payments').query({ orderId: charged.orderId }).expect(200);
      expect(one.body).toEqual([{ id: row.id, orderId: charged.orderId, amountCents: 4997, status: 'CHARGED' }]);

      await request(server).get('/payments').query({ orderId: voided.orderId }).expect(200, []);

      const all = await request(server).get('/payments').expect(200);
      const listed = all.body as Array<{ orderId: string; status: string }>;
      expect(listed.length).toBeLessThanOrEqual(100);
      expect(listed.some((p) => p.orderId === charged.orderId)).toBe(true);
      expect(listed.every((p) => p.status !== 'VOIDED')).toBe(true);

      const bad = await request(server).get('/payments').query({ orderId: 'not-a-uuid' }).expect(400);
      expect(bad.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(JSON.stringify((bad.body as { message: unknown }).message)).toContain('orderId');
    });

    it('backs the endpoint with GetPaymentsQuery', async () => {
      const { sagaId, orderId } = ids();
      await commandBus.execute(await paymentCommand(sagaId, orderId, 300, 'tok_declined'));
      const views = await app.get(QueryBus).execute(new GetPaymentsQuery(orderId));
      expect(views).toEqual([{ id: expect.any(String), orderId, amountCents: 300, status: 'DECLINED' }]);
    });
  });
});
