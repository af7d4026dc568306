import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { databaseKinds } from './support/test-database';
import { orderRequest, type SettledOrder, startTestApp, stockBySku, type TestApp, waitFor } from './support/test-app';

/*
 * Issue #15: an order of at least FRAUD_REVIEW_THRESHOLD_CENTS waits, its stock reserved and its card not yet
 * charged, for an admin's decision (POST /orders/:id/review); without one by its deadline it is cancelled.
 */

const ADMIN = 'fraud-review-admin-token';
const READ = 'fraud-review-read-token';
const HOUR = 3_600_000;
/** 4 x SKU-005 at 150.00: 600.00, above the default threshold of 500.00. */
const LARGE = orderRequest({ items: [{ sku: 'SKU-005', quantity: 4 }] });
/** 1 x SKU-001 at 12.99. */
const SMALL = orderRequest({ items: [{ sku: 'SKU-001', quantity: 1 }] });

interface StepView {
  name: string;
  status: string;
  startedAt?: string;
  waitDeadline?: string;
}
interface SagaView {
  status: string;
  currentStep: string | null;
  deadline: string | null;
  steps: StepView[];
  history: { step?: string; reason?: string }[];
}
const message = (answer: { body: unknown }) => (answer.body as { message: string | string[] }).message;

interface Payment {
  status: string;
  amountCents: number;
}

describe.each(databaseKinds())('fraud review of large orders, on %s', (kind) => {
  let t: TestApp;
  const auth = { Authorization: `Bearer ${ADMIN}` };

  const order = async (id: string) => (await t.http().get(`/orders/${id}`).expect(200)).body as SettledOrder;
  const saga = async (id: string) => (await t.http().get(`/sagas/${id}`).set(auth).expect(200)).body as SagaView;
  const payments = async (orderId: string) => (await t.http().get(`/payments?orderId=${orderId}`).set(auth).expect(200)).body as Payment[];
  const review = (orderId: string, body: unknown, headers: Record<string, string> = auth) =>
    t
      .http()
      .post(`/orders/${orderId}/review`)
      .set(headers)
      .send(body as object);
  const place = async (body = LARGE) => (await t.http().post('/orders').send(body).expect(201)).body as { id: string; sagaId: string };
  /** Places a large order and waits until its saga waits at the review. */
  const placeWaiting = async () => {
    const placed = await place();
    await waitFor(
      () => saga(placed.sagaId),
      (s) => s.steps.find((x) => x.name === 'fraudReview')?.status === 'WAITING',
    );
    return placed;
  };
  /** Waits until the order and its saga have both ended. */
  const settled = async (placed: { id: string; sagaId: string }) => {
    await waitFor(
      () => saga(placed.sagaId),
      (s) => ['COMPLETED', 'COMPENSATED', 'FAILED'].includes(s.status),
    );
    return order(placed.id);
  };
  const step = (s: SagaView, name: string) => s.steps.find((x) => x.name === name);

  beforeAll(async () => {
    // The default threshold (500.00) and timeout (48 h): the timeout case moves the saga clock.
    t = await startTestApp(kind, { config: { adminToken: ADMIN, readToken: READ } });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('waits at fraudReview with its deadline, the stock reserved and nothing charged; approve charges once and confirms; a second decision is 409', async () => {
    const before = await stockBySku(t.dataSource);
    const placed = await placeWaiting();
    const waiting = await saga(placed.sagaId);
    expect(waiting).toMatchObject({ status: 'RUNNING', currentStep: 'fraudReview' });
    expect(waiting.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'placeOrder:COMPLETED',
      'reserveInventory:COMPLETED',
      'fraudReview:WAITING',
      'processPayment:PENDING',
      'createShipment:PENDING',
      'confirmOrder:PENDING',
    ]);
    // The deadline is 48 h from when the wait began, as the library stored it.
    const review0 = step(waiting, 'fraudReview') as StepView;
    expect(new Date(waiting.deadline as string).getTime()).toBe(new Date(review0.startedAt as string).getTime() + 48 * HOUR);
    expect(review0.waitDeadline).toBe(waiting.deadline);
    const stored = await t.orchestrator.store.load(placed.sagaId);
    expect(stored?.steps[2].waitDeadline).toBe(waiting.deadline);
    // Still waiting a while later: reserved, not charged.
    await new Promise((r) => setTimeout(r, 300));
    expect((await order(placed.id)).status).toBe('PENDING');
    expect((await stockBySku(t.dataSource))['SKU-005']).toEqual({
      available: before['SKU-005'].available - 4,
      reserved: before['SKU-005'].reserved + 4,
    });
    expect(await payments(placed.id)).toEqual([]);

    const approved = await review(placed.id, { decision: 'approve', reason: 'customer confirmed by phone' }).expect(202);
    expect(approved.body).toMatchObject({ orderId: placed.id, sagaId: placed.sagaId, decision: 'approve', outcome: 'applied' });
    const done = await settled(placed);
    expect(done.status).toBe('CONFIRMED');
    expect(done.totalCents).toBe(60_000);
    expect(await payments(placed.id)).toEqual([expect.objectContaining({ status: 'CHARGED', amountCents: 60_000 })]);
    expect((await t.orchestrator.store.load(placed.sagaId))?.data).toMatchObject({ fraudReviewApproval: 'customer confirmed by phone' });

    const again = await review(placed.id, { decision: 'reject', reason: 'changed my mind' }).expect(409);
    expect(message(again)).toMatch(/not waiting for a fraud review: signal "fraudReview" duplicate/);
    expect((await order(placed.id)).status).toBe('CONFIRMED');
    expect(await payments(placed.id)).toHaveLength(1);
  });

  it('reject releases the stock and cancels the order with the reason; nothing is charged; a second decision is 409', async () => {
    const before = await stockBySku(t.dataSource);
    const placed = await placeWaiting();
    await review(placed.id, { decision: 'reject', reason: 'card reported stolen' }).expect(202);
    const done = await settled(placed);
    expect(done.status).toBe('CANCELLED');
    expect(done.failureReason).toBe('fraudReview failed: rejected in fraud review: card reported stolen');
    expect(await stockBySku(t.dataSource)).toEqual(before);
    expect(await payments(placed.id)).toEqual([]);
    const s = await saga(placed.sagaId);
    expect(s.status).toBe('COMPENSATED');
    expect(step(s, 'reserveInventory')?.status).toBe('COMPENSATED');
    expect(step(s, 'processPayment')?.status).toBe('PENDING');

    const again = await review(placed.id, { decision: 'approve', reason: 'sorry' }).expect(409);
    expect(again.body).toMatchObject({ statusCode: 409, error: 'Conflict' });
    expect((await order(placed.id)).status).toBe('CANCELLED');
    expect(await payments(placed.id)).toEqual([]);
  });

  it('an order below the threshold skips the review and confirms; a decision for it is 409 and changes nothing', async () => {
    const placed = await place(SMALL);
    const done = await settled(placed);
    expect(done.status).toBe('CONFIRMED');
    const s = await saga(placed.sagaId);
    expect(step(s, 'fraudReview')?.status).toBe('SKIPPED');
    const historyBefore = s.history.length;
    const answer = await review(placed.id, { decision: 'reject', reason: 'looks odd' }).expect(409);
    expect(message(answer)).toMatch(/needs no fraud review: its total of 1299 cents is below the threshold of 50000/);
    expect((await order(placed.id)).status).toBe('CONFIRMED');
    expect((await saga(placed.sagaId)).history).toHaveLength(historyBefore);
  });

  it("the inspector's Approve (the library's signal endpoint) works too, and says who approved", async () => {
    const placed = await placeWaiting();
    await t
      .http()
      .post(`/sagas/${placed.sagaId}/signals/fraudReview`)
      .set({ ...auth, 'X-Operator': 'alice' })
      .send({ payload: { decision: 'approve', reason: 'known customer' } })
      .expect(202);
    expect((await settled(placed)).status).toBe('CONFIRMED');
    expect((await t.orchestrator.store.load(placed.sagaId))?.data).toMatchObject({ fraudReviewApproval: 'alice: known customer' });
  });

  it('an unknown order is 404; an id that is not a UUID is 400', async () => {
    const unknown = await review(randomUUID(), { decision: 'approve', reason: 'ok' }).expect(404);
    expect(message(unknown)).toMatch(/not found/);
    await review('not-a-uuid', { decision: 'approve', reason: 'ok' }).expect(400);
  });

  it('bad bodies get 400 naming the field, and the order keeps waiting untouched', async () => {
    const placed = await placeWaiting();
    const before = await saga(placed.sagaId);
    const cases: [unknown, RegExp][] = [
      [{ decision: 'maybe', reason: 'x' }, /^decision must be one of the following values: approve, reject$/],
      [{ reason: 'x' }, /^decision must be one of/],
      [{ decision: 'approve' }, /^reason must be a string$/],
      [{ decision: 'approve', reason: '   ' }, /^reason must not be blank$/],
      [{ decision: 'approve', reason: 'r'.repeat(501) }, /^reason must be shorter than or equal to 500 characters$/],
      [{ decision: 'approve', reason: 'ok\u0000' }, /^reason must not contain control characters$/],
      [{ decision: 'approve', reason: 42 }, /^reason must be a string$/],
      [{ decision: 'approve', reason: 'ok', by: 'mallory' }, /^property by should not exist$/],
    ];
    for (const [body, expected] of cases) {
      const answer = await review(placed.id, body).expect(400);
      expect(answer.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(message(answer)).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
    }
    const after = await saga(placed.sagaId);
    expect(after).toEqual(before);
    expect((await order(placed.id)).status).toBe('PENDING');
    // Cleared for the next cases.
    await review(placed.id, { decision: 'reject', reason: 'test cleanup' }).expect(202);
    await settled(placed);
  });

  it('without a token 401, with a wrong or the read token 403; nothing changes', async () => {
    const placed = await placeWaiting();
    const before = await saga(placed.sagaId);
    const body = { decision: 'approve', reason: 'ok' };
    const missing = await review(placed.id, body, {}).expect(401);
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer/);
    await review(placed.id, body, { Authorization: 'Bearer not-the-token' }).expect(403);
    await review(placed.id, body, { Authorization: `Bearer ${READ}` }).expect(403);
    // The guard runs before validation: a bad body without a token is still 401.
    await review(placed.id, { decision: 'maybe' }, {}).expect(401);
    expect(await saga(placed.sagaId)).toEqual(before);
    await review(placed.id, { decision: 'reject', reason: 'test cleanup' }).expect(202);
    await settled(placed);
  });

  it('without a decision by the deadline the order is cancelled for the review timeout and the stock released; a late decision is 409', async () => {
    const before = await stockBySku(t.dataSource);
    const placed = await placeWaiting();
    const { deadline } = await saga(placed.sagaId);
    // Just short of the deadline nothing happens.
    t.clock.advance(new Date(deadline as string).getTime() - t.clock.now().getTime() - 60_000);
    await t.job.runOnce();
    expect((await saga(placed.sagaId)).steps[2].status).toBe('WAITING');
    t.clock.advance(60_001);
    await t.job.runOnce();
    const done = await settled(placed);
    expect(done.status).toBe('CANCELLED');
    expect(done.failureReason).toBe('fraudReview failed: fraudReview timed out after 48 h without the signal "fraudReview"');
    expect(await stockBySku(t.dataSource)).toEqual(before);
    expect(await payments(placed.id)).toEqual([]);
    const late = await review(placed.id, { decision: 'approve', reason: 'too late' }).expect(409);
    expect(message(late)).toMatch(/signal "fraudReview" late/);
  });
});

describe.each(databaseKinds())('fraud review without ADMIN_TOKEN, on %s', (kind) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(kind);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('is disabled (403), as the operator actions are, and the order keeps waiting', async () => {
    const placed = (await t.http().post('/orders').send(LARGE).expect(201)).body as { id: string; sagaId: string };
    await waitFor(
      async () => (await t.orchestrator.store.load(placed.sagaId))?.steps[2].status,
      (s) => s === 'WAITING',
    );
    const answer = await t.http().post(`/orders/${placed.id}/review`).send({ decision: 'approve', reason: 'ok' }).expect(403);
    expect(message(answer)).toMatch(/disabled: set ADMIN_TOKEN/);
    await t
      .http()
      .post(`/orders/${placed.id}/review`)
      .set('Authorization', 'Bearer anything')
      .send({ decision: 'approve', reason: 'ok' })
      .expect(403);
    expect((await t.orchestrator.store.load(placed.sagaId))?.steps[2].status).toBe('WAITING');
  });
});
