import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { orderRequest, settle, settleSilentStep, startTestApp, type TestApp } from '../support/test-app';
import { databaseKinds } from '../support/test-database';

/**
 * Invariant 11 for the card token: it is kept only in the payment module's vault (payment_methods), never in a
 * saga row, a history line or an answer, and the vault forgets it once the charge outcome or a refund is recorded.
 */
describe.each(databaseKinds())('the payment token is kept out of the saga, on %s', (kind) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(kind);
  });

  afterAll(async () => {
    await t?.close();
  });

  /** Every place a token could surface: the saga row, its history, the saga and order answers. */
  async function placesHolding(token: string, orderId: string, sagaId: string): Promise<string[]> {
    const [{ data }] = await t.dataSource.query<{ data: string }[]>(`SELECT data::text AS data FROM saga_instance WHERE id = $1`, [sagaId]);
    const history = await t.dataSource.query<{ row: string }[]>(`SELECT h::text AS row FROM saga_history h WHERE saga_id = $1`, [sagaId]);
    const saga = await t.http().get(`/sagas/${sagaId}`).expect(200);
    const order = await t.http().get(`/orders/${orderId}`).expect(200);
    const places: Array<[string, string]> = [
      ['saga_instance.data', data],
      ...history.map((h, i): [string, string] => [`saga_history row ${i}`, h.row]),
      ['GET /sagas/:id', saga.text],
      ['GET /orders/:id', order.text],
    ];
    expect(history.length).toBeGreaterThan(0);
    return places.filter(([, text]) => text.includes(token)).map(([where]) => where);
  }

  async function vaulted(token: string): Promise<number> {
    const [{ n }] = await t.dataSource.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM payment_methods WHERE token = $1`, [token]);
    return n;
  }

  it('a charged order: the saga carries a payment method id, the token is in the vault until the charge, then gone', async () => {
    // Any token but the test ones charges; a unique one cannot be confused with other text.
    const token = `tok_card_${randomUUID().replace(/-/g, '')}`;
    const placed = await t
      .http()
      .post('/orders')
      .send(orderRequest({ paymentToken: token }))
      .expect(201);
    const { id, sagaId } = placed.body as { id: string; sagaId: string };
    const [{ paymentMethodId }] = await t.dataSource.query<{ paymentMethodId: string }[]>(
      `SELECT data->>'paymentMethodId' AS "paymentMethodId" FROM saga_instance WHERE id = $1`,
      [sagaId],
    );
    expect(paymentMethodId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await placesHolding(token, id, sagaId)).toEqual([]);

    const order = await settle(t, id);
    expect(order.status).toBe('CONFIRMED');
    expect(await placesHolding(token, id, sagaId)).toEqual([]);
    // Charged once and recorded: the token is not needed again (a repeat answers from the payment row).
    expect(await vaulted(token)).toBe(0);
    const [{ charged }] = await t.dataSource.query<{ charged: number }[]>(
      `SELECT count(*)::int AS charged FROM payments WHERE order_id = $1 AND status = 'CHARGED'`,
      [id],
    );
    expect(charged).toBe(1);
  });

  it('the test modes still work through the vault: tok_declined is declined, tok_timeout is retried, refunded and forgotten', async () => {
    const declined = await t
      .http()
      .post('/orders')
      .send(orderRequest({ paymentToken: 'tok_declined', customerId: `cust-${randomUUID()}` }))
      .expect(201);
    const declinedOrder = await settle(t, (declined.body as { id: string }).id);
    expect(declinedOrder).toMatchObject({ status: 'CANCELLED', failureReason: 'processPayment failed: card declined' });
    expect(await placesHolding('tok_declined', declinedOrder.id, declinedOrder.sagaId)).toEqual([]);

    const timeout = await t
      .http()
      .post('/orders')
      .send(orderRequest({ paymentToken: 'tok_timeout', customerId: `cust-${randomUUID()}` }))
      .expect(201);
    const timeoutId = (timeout.body as { id: string }).id;
    const timedOut = await settleSilentStep(t, timeoutId, 'processPayment', 30_000);
    expect(timedOut.status).toBe('CANCELLED');
    expect(await placesHolding('tok_timeout', timedOut.id, timedOut.sagaId)).toEqual([]);
    // Both outcomes were recorded (a decline, a refund's tombstone): neither token is left in the vault.
    expect(await vaulted('tok_declined')).toBe(0);
    expect(await vaulted('tok_timeout')).toBe(0);
  });

  it('a replayed order (same Idempotency-Key) stores no second token', async () => {
    // tok_timeout's charge never answers, so nothing forgets the token while the count below is taken.
    const key = `vault-${randomUUID()}`;
    const body = orderRequest({ paymentToken: 'tok_timeout', customerId: `cust-${randomUUID()}` });
    const first = await t.http().post('/orders').set('Idempotency-Key', key).send(body).expect(201);
    await t.http().post('/orders').set('Idempotency-Key', key).send(body).expect(201).expect('Idempotent-Replayed', 'true');
    expect(await vaulted('tok_timeout')).toBe(1);
    const order = await settleSilentStep(t, (first.body as { id: string }).id, 'processPayment', 30_000);
    expect(order.status).toBe('CANCELLED');
    expect(await vaulted('tok_timeout')).toBe(0);
  });

  it('an order cancelled before its payment step (out of stock) forgets its token when it is cancelled', async () => {
    const token = `tok_card_${randomUUID().replace(/-/g, '')}`;
    const placed = await t
      .http()
      .post('/orders')
      .send(orderRequest({ paymentToken: token, items: [{ sku: 'SKU-002', quantity: 1000 }] }))
      .expect(201);
    const order = await settle(t, (placed.body as { id: string }).id);
    expect(order).toMatchObject({ status: 'CANCELLED', failureReason: expect.stringMatching(/insufficient stock/) });
    expect(await vaulted(token)).toBe(0);
    expect(await placesHolding(token, order.id, order.sagaId)).toEqual([]);
  });
});
