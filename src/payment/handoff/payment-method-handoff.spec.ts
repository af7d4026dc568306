import { ownMigrations } from '../../../migrations/services';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Module } from '@nestjs/common';
import pg from 'pg';
import { startModuleTestApp, type ModuleTestApp } from '../../../test/support/module-test-app';
import { databaseKinds } from '../../../test/support/test-database';
import { DeploymentModule } from '../../deployment/deployment';
import { PaymentDeclinedEvent, PaymentModule, ProcessPaymentCommand } from '../index';
import { PaymentMethodVault } from '../vault/payment-method-vault';
import { PaymentMethodOnItsWayError } from './payment-method-on-its-way.error';

/** The payment service on its own: the orders service (and its card tokens) runs elsewhere. */
@Module({ imports: [PaymentModule, DeploymentModule.forRoot(['payment'])] })
class PaymentServiceApart {}

describe.each(databaseKinds())('card tokens handed over by message, on %s', (kind) => {
  let t: ModuleTestApp;
  let vault: PaymentMethodVault;
  const tokens = async (id: string) =>
    (await t.dataSource.query<{ token: string }[]>(`SELECT token FROM payment_methods WHERE id = $1`, [id])).map((r) => r.token);

  beforeAll(async () => {
    t = await startModuleTestApp(kind, {
      migrations: ownMigrations('payment'),
      module: PaymentServiceApart,
    });
    vault = t.app.get(PaymentMethodVault);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('keeps a token at its first message only: a redelivery after it was used brings nothing back', async () => {
    const id = randomUUID();
    expect(await vault.lookUpSent(id)).toBe('on-its-way');
    await vault.receive(id, 'tok_visa');
    await vault.receive(id, 'tok_other');
    expect(await vault.lookUpSent(id)).toEqual({ token: 'tok_visa' });
    await vault.forget(id);
    await vault.receive(id, 'tok_visa');
    expect(await tokens(id)).toEqual([]);
    expect(await vault.lookUpSent(id)).toBe('gone');
  });

  it('never keeps a token withdrawn before it arrived (the cancellation overtook it)', async () => {
    const id = randomUUID();
    await vault.withdraw(id);
    await vault.receive(id, 'tok_visa');
    expect(await tokens(id)).toEqual([]);
    expect(await vault.lookUpSent(id)).toBe('gone');
  });

  it('waits, unspent, for a charge whose token is on its way, and charges once it came', async () => {
    const orderId = randomUUID();
    const sagaId = randomUUID();
    const paymentMethodId = randomUUID();
    const charge = new ProcessPaymentCommand(sagaId, orderId, 1_299, paymentMethodId);
    const early: unknown = await t.commandBus.execute<ProcessPaymentCommand, void>(charge).catch((error: unknown) => error);
    expect(early).toBeInstanceOf(PaymentMethodOnItsWayError);
    expect((early as PaymentMethodOnItsWayError).transient).toBe(true);
    expect(await t.dataSource.query(`SELECT 1 FROM payments WHERE order_id = $1`, [orderId])).toEqual([]);

    await vault.receive(paymentMethodId, 'tok_declined');
    await t.commandBus.execute(charge);
    expect(t.events).toContainEqual(new PaymentDeclinedEvent(sagaId, orderId, 'card declined'));
    expect(await tokens(paymentMethodId)).toEqual([]);
  });

  if (kind === 'postgres')
    it('drops a token withdrawn while its "provided" is being stored, in the other order of commits too', async () => {
      const id = randomUUID();
      // The "provided" of another connection has stored the token and not committed yet.
      const other = new pg.Client({ connectionString: t.db.target.url });
      await other.connect();
      try {
        await other.query('BEGIN');
        await other.query(
          `WITH first AS (INSERT INTO payment_method_receipts (id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING id)
           INSERT INTO payment_methods (id, token) SELECT id, $2 FROM first`,
          [id, 'tok_visa'],
        );
        const withdrawn = vault.withdraw(id);
        await new Promise((resolve) => setTimeout(resolve, 200));
        await other.query('COMMIT');
        await withdrawn;
      } finally {
        await other.end();
      }
      expect(await tokens(id)).toEqual([]);
    });
});
