import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { databaseKinds } from './support/test-database';
import { orderRequest, startTestApp, type TestApp } from './support/test-app';

const valid = orderRequest();
type Case = [name: string, body: unknown, field: RegExp];

const cases: Case[] = [
  ['missing customerId', { ...valid, customerId: undefined }, /customerId/],
  ['empty customerId', { ...valid, customerId: '' }, /customerId/],
  ['customerId of the wrong type', { ...valid, customerId: 42 }, /customerId/],
  ['missing items', { ...valid, items: undefined }, /items/],
  ['empty items', { ...valid, items: [] }, /items/],
  ['items not an array', { ...valid, items: 'SKU-001' }, /items/],
  ['quantity 0', { ...valid, items: [{ sku: 'SKU-001', quantity: 0 }] }, /items\.0\.quantity/],
  ['negative quantity', { ...valid, items: [{ sku: 'SKU-001', quantity: -3 }] }, /items\.0\.quantity/],
  ['fractional quantity', { ...valid, items: [{ sku: 'SKU-001', quantity: 1.5 }] }, /items\.0\.quantity/],
  ['quantity as a string', { ...valid, items: [{ sku: 'SKU-001', quantity: '2' }] }, /items\.0\.quantity/],
  ['missing sku', { ...valid, items: [{ quantity: 1 }] }, /items\.0\.sku/],
  [
    'unknown sku',
    {
      ...valid,
      items: [
        { sku: 'SKU-001', quantity: 1 },
        { sku: 'SKU-999', quantity: 1 },
      ],
    },
    /items\.1\.sku.*SKU-999/,
  ],
  ['missing paymentToken', { ...valid, paymentToken: undefined }, /paymentToken/],
  ['missing shippingAddress', { ...valid, shippingAddress: undefined }, /shippingAddress/],
  ['shippingAddress not an object', { ...valid, shippingAddress: 'somewhere' }, /shippingAddress/],
  ['missing city', { ...valid, shippingAddress: { ...valid.shippingAddress, city: undefined } }, /shippingAddress\.city/],
  ['bad country', { ...valid, shippingAddress: { ...valid.shippingAddress, country: 'usa' } }, /country/],
  ['unknown field', { ...valid, discount: 100 }, /discount/],
  ['an array body', [valid], /./],
];

describe.each(databaseKinds())('bad input to POST /orders, on %s', (kind) => {
  let t: TestApp;
  const counts = async () =>
    await t.dataSource.query<{ orders: number; sagas: number; payments: number; stock: number }[]>(
      `SELECT (SELECT count(*)::int FROM orders) AS orders, (SELECT count(*)::int FROM saga_instance) AS sagas,
              (SELECT count(*)::int FROM payments) AS payments, (SELECT sum(available)::int FROM inventory_products) AS stock`,
    );

  beforeAll(async () => {
    t = await startTestApp(kind);
  });

  afterAll(async () => {
    await t?.close();
  });

  it.each(cases)('%s: 400 naming the field, nothing written', async (_name, body, field) => {
    const before = await counts();
    const res = await t
      .http()
      .post('/orders')
      .send(body as object)
      .expect(400);
    expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.anything() });
    expect(JSON.stringify((res.body as { message: unknown }).message)).toMatch(field);
    expect(await counts()).toEqual(before);
  });

  it('malformed JSON: 400, nothing written', async () => {
    const before = await counts();
    const res = await t.http().post('/orders').set('Content-Type', 'application/json').send('{"customerId": "c", "items": [').expect(400);
    expect((res.body as { statusCode: unknown }).statusCode).toBe(400);
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.js|stack|SyntaxError/);
    expect(await counts()).toEqual(before);
  });

  it('an oversized body: 400, nothing written', async () => {
    const before = await counts();
    const res = await t
      .http()
      .post('/orders')
      .send({ ...valid, customerId: 'x'.repeat(100_000) })
      .expect(400);
    expect(JSON.stringify((res.body as { message: unknown }).message)).toMatch(/body/);
    expect(await counts()).toEqual(before);
  });

  it.each([
    ['a form', 'application/x-www-form-urlencoded', 'customerId=c&paymentToken=tok_visa'],
    ['text', 'text/plain', JSON.stringify(valid)],
    ['XML', 'application/xml', '<order/>'],
  ])('%s instead of JSON: 415, nothing written', async (_name, type, body) => {
    const before = await counts();
    for (const method of ['post', 'put', 'patch'] as const) {
      const res = await t.http()[method]('/orders').set('Content-Type', type).send(body).expect(415);
      expect(res.body).toEqual({ statusCode: 415, error: 'Unsupported Media Type', message: 'Content-Type must be application/json' });
    }
    expect(await counts()).toEqual(before);
  });

  it('JSON with a charset parameter is JSON: parsed and validated', async () => {
    const body = JSON.stringify({ ...valid, customerId: '' });
    const res = await t.http().post('/orders').set('Content-Type', 'application/json; charset=utf-8').send(body).expect(400);
    expect(JSON.stringify((res.body as { message: unknown }).message)).toMatch(/customerId/);
  });

  it('a malformed Idempotency-Key: 400, nothing written', async () => {
    const before = await counts();
    const res = await t.http().post('/orders').set('Idempotency-Key', 'has spaces and ünïcode').send(valid).expect(400);
    expect(JSON.stringify((res.body as { message: unknown }).message)).toMatch(/Idempotency-Key/);
    expect(await counts()).toEqual(before);
  });

  it('a non-UUID order id or payment filter: 400', async () => {
    await t.http().get('/orders/123').expect(400);
    await t.http().get('/payments?orderId=123').expect(400);
  });
});
