import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Logger as PinoLogger } from 'nestjs-pino';
import { LOG_DESTINATION } from '../src/observability/log-destination';
import { databaseKinds } from './support/test-database';
import { orderRequest, startTestApp, type TestApp } from './support/test-app';

/**
 * Personal values every hostile body below carries beside its bad field: none may reach a log line. Any token
 * but the test ones charges, so this one is as real as a card token gets here.
 */
const PERSONAL = { customerId: 'cust-pii-7731', line1: '77 Secret Lane', paymentToken: 'tok_secret_4242' };
const personal = orderRequest({
  customerId: PERSONAL.customerId,
  paymentToken: PERSONAL.paymentToken,
  shippingAddress: { line1: PERSONAL.line1, city: 'Springfield', postalCode: '12345', country: 'US' },
});

/** Where each string field of an order lives in the body, and the name a 400 gives it. */
const STRING_FIELDS: Array<[path: string, set: (body: typeof personal, value: string) => unknown]> = [
  ['customerId', (b, v) => ({ ...b, customerId: v })],
  ['items.0.sku', (b, v) => ({ ...b, items: [{ sku: v, quantity: 1 }] })],
  ['paymentToken', (b, v) => ({ ...b, paymentToken: v })],
  ['shippingAddress.line1', (b, v) => ({ ...b, shippingAddress: { ...b.shippingAddress, line1: v } })],
  ['shippingAddress.city', (b, v) => ({ ...b, shippingAddress: { ...b.shippingAddress, city: v } })],
  ['shippingAddress.postalCode', (b, v) => ({ ...b, shippingAddress: { ...b.shippingAddress, postalCode: v } })],
  ['shippingAddress.country', (b, v) => ({ ...b, shippingAddress: { ...b.shippingAddress, country: v } })],
];
const MARK = 'q7z';
/** A body as raw JSON text, `value` escaped as the client wrote it (JSON.stringify would not send a lone `\ud800`). */
const rawWith = (set: (b: typeof personal, v: string) => unknown, escaped: string): string =>
  JSON.stringify(set(personal, MARK)).replace(MARK, escaped);
const hostile: Array<[name: string, raw: string, message: string]> = STRING_FIELDS.flatMap(([path, set]) => [
  [`NUL in ${path}`, rawWith(set, 'a\\u0000b'), `${path} must not contain control characters`],
  [`a newline in ${path}`, rawWith(set, 'a\\nb'), `${path} must not contain control characters`],
  [`a lone high surrogate in ${path}`, rawWith(set, 'a\\ud800b'), `${path} must be well-formed Unicode`],
  [`a lone low surrogate in ${path}`, rawWith(set, '\\udfffb'), `${path} must be well-formed Unicode`],
  [`whitespace-only ${path}`, rawWith(set, ' \\t\\u00a0 '), `${path} must not be blank`],
]);

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

/**
 * Every log line: the app's (pino, at debug) and anything printed to the console (TypeORM's own logger printed
 * failed queries with their parameters). One capture for the file: nestjs-pino keeps the root logger the first
 * app built, so the apps of both databases write here.
 */
const logged: string[] = [];

describe.each(databaseKinds())('bad input to POST /orders, on %s', (kind) => {
  let t: TestApp;
  const counts = async () =>
    await t.dataSource.query<Record<string, number>[]>(
      `SELECT (SELECT count(*)::int FROM orders) AS orders, (SELECT count(*)::int FROM saga_instance) AS sagas,
              (SELECT count(*)::int FROM saga_history) AS history, (SELECT count(*)::int FROM payments) AS payments,
              (SELECT count(*)::int FROM payment_methods) AS "paymentMethods",
              (SELECT sum(available)::int FROM inventory_products) AS stock`,
    );
  const postRaw = (raw: string) => t.http().post('/orders').set('Content-Type', 'application/json').send(raw);

  beforeAll(async () => {
    t = await startTestApp(kind, {
      config: { log: { level: 'debug', format: 'json' } },
      override: (b) => b.overrideProvider(LOG_DESTINATION).useValue({ write: (chunk: string) => void logged.push(chunk) }),
    });
    t.app.useLogger(t.app.get(PinoLogger));
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const)
      jest.spyOn(console, method).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' ')));
  });

  afterAll(async () => {
    jest.restoreAllMocks();
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

  it.each(hostile)('%s: 400 naming the field and the reason, nothing written', async (_name, raw, message) => {
    const before = await counts();
    const res = await postRaw(raw).expect(400);
    expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.arrayContaining([message]) });
    expect(await counts()).toEqual(before);
  });

  it('JSON nested 10,000 deep, and 33 deep inside a field: 400 before validation, nothing written', async () => {
    const before = await counts();
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    for (const raw of [
      deep(10_000),
      `{"customerId":${deep(10_000)}}`,
      JSON.stringify({ ...personal, items: JSON.parse(deep(32)) as unknown }),
    ]) {
      const res = await postRaw(raw).expect(400);
      expect(res.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: ['body must not nest objects or arrays more than 32 levels deep'],
      });
    }
    // Nesting within the bound reaches validation, which names the field.
    const shallow = await postRaw(JSON.stringify({ ...personal, items: [[{ sku: 'SKU-001', quantity: 1 }]] })).expect(400);
    expect(JSON.stringify(shallow.body)).toMatch(/items/);
    expect(JSON.stringify(shallow.body)).not.toMatch(/levels deep/);
    expect(await counts()).toEqual(before);
  });

  it('2,500 bad items: at most 20 errors and a count of the rest, a small answer, nothing written', async () => {
    const before = await counts();
    const items = Array.from({ length: 2500 }, () => ({ sku: 1, quantity: 'x' }));
    const res = await t
      .http()
      .post('/orders')
      .send({ ...personal, items })
      .expect(400);
    const { message } = res.body as { message: string[] };
    expect(message).toHaveLength(21);
    expect(message[0]).toBe('items must contain no more than 50 elements');
    expect(message.slice(1)).toContainEqual(expect.stringMatching(/^items\.0\.sku /));
    expect(message[20]).toMatch(/^\.\.\.and \d+ more$/);
    expect(res.text.length).toBeLessThan(8_000);
    expect(await counts()).toEqual(before);
  });

  it('thousands of unknown properties with long names: the answer stays small', async () => {
    const extra = Object.fromEntries(Array.from({ length: 1500 }, (_, i) => [`${'k'.repeat(30)}${i}`, 1]));
    const long = { ['x'.repeat(5_000)]: 1 };
    for (const body of [
      { ...personal, ...extra },
      { ...personal, ...long },
    ]) {
      const res = await t.http().post('/orders').send(body).expect(400);
      expect(res.text.length).toBeLessThan(8_000);
      expect((res.body as { message: string[] }).message.length).toBeLessThanOrEqual(21);
    }
  });

  it('no log line carries the personal values of the bodies refused above', () => {
    expect(logged.length).toBeGreaterThan(0);
    const all = logged.join('\n');
    for (const value of Object.values(PERSONAL)) expect(all).not.toContain(value);
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
