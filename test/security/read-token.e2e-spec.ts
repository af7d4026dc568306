import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { TokenFailureLimiter } from 'sagaworks/inspector';
import { orderRequest, startTestApp, type TestApp } from '../support/test-app';
import { databaseKinds } from '../support/test-database';

const READ = 'read-token-for-the-e2e';
const ADMIN = 'admin-token-for-the-e2e';

interface Placed {
  id: string;
  sagaId: string;
}

/** Reads of personal or operational data: behind the read token once any token is set. */
function guardedPaths({ id, sagaId }: Placed): string[] {
  return [
    '/sagas',
    `/sagas/${sagaId}`,
    '/sagas/definitions',
    '/sagas/definitions/order-fulfillment/diagram',
    '/payments',
    `/payments?orderId=${id}`,
    '/shipments',
    '/ui',
    `/ui/sagas/${sagaId}`,
    '/ui/definitions',
  ];
}

/** Open whatever is configured: an order by its (unguessable) id, the catalog, probes, scrapes, the API docs. */
function openPaths({ id }: Placed): string[] {
  return [
    `/orders/${id}`,
    '/products',
    '/health/live',
    '/health/ready',
    '/metrics',
    '/docs',
    '/ui/assets/inspector.js',
    '/ui/assets/inspector.css',
  ];
}

const place = async (t: TestApp): Promise<Placed> =>
  (await t.http().post('/orders').set('Prefer', 'wait=20').send(orderRequest()).expect(201)).body as Placed;

describe.each(databaseKinds())('READ_TOKEN and ADMIN_TOKEN set, on %s', (kind) => {
  let t: TestApp;
  let placed: Placed;

  beforeAll(async () => {
    t = await startTestApp(kind, {
      config: { readToken: READ, adminToken: ADMIN },
      // this suite fails many checks on purpose: the throttle has a suite of its own below
      override: (b) => b.overrideProvider(TokenFailureLimiter).useValue(new TokenFailureLimiter({ maxFailures: 10_000 })),
    });
    placed = await place(t);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('answers 401 without a token, 403 with a wrong one, 200 with the read or the admin token', async () => {
    for (const path of guardedPaths(placed)) {
      const page = path.startsWith('/ui');
      const none = await t.http().get(path);
      expect({ path, status: none.status }).toEqual({ path, status: 401 });
      expect(none.headers['www-authenticate']).toMatch(/^Bearer /);
      const wrong = await t.http().get(path).set('Authorization', `Bearer ${READ}x`);
      expect({ path, status: wrong.status }).toEqual({ path, status: 403 });
      if (page) {
        // a browser gets a page with the token form, not JSON
        expect(none.headers['content-type']).toMatch(/^text\/html/);
        expect(none.text).toContain('data-token-required="401"');
        expect(none.text).toContain('<form id="token-form"');
        expect(wrong.text).toContain('data-token-required="403"');
        expect(none.text).not.toContain(placed.sagaId);
      } else {
        expect(none.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
        expect(wrong.body).toMatchObject({ statusCode: 403, error: 'Forbidden' });
      }
      for (const token of [READ, ADMIN]) {
        const ok = await t.http().get(path).set('Authorization', `Bearer ${token}`);
        expect({ path, status: ok.status }).toEqual({ path, status: 200 });
      }
    }
  });

  it('shows what it guards only to a token holder', async () => {
    const auth = { Authorization: `Bearer ${READ}` };
    const saga = (await t.http().get(`/sagas/${placed.sagaId}`).set(auth).expect(200)).body as { correlationId: string };
    expect(saga.correlationId).toBe(placed.id);
    const payments = (await t.http().get(`/payments?orderId=${placed.id}`).set(auth).expect(200)).body as unknown[];
    expect(payments).toHaveLength(1);
    expect((await t.http().get(`/ui/sagas/${placed.sagaId}`).set(auth).expect(200)).text).toContain(placed.sagaId);
  });

  it('takes the sw_read cookie on the pages only', async () => {
    for (const path of ['/ui', `/ui/sagas/${placed.sagaId}`, '/ui/definitions']) {
      await t.http().get(path).set('Cookie', `sw_read=${READ}`).expect(200);
      await t
        .http()
        .get(path)
        .set('Cookie', `other=1; sw_read=${encodeURIComponent(ADMIN)}`)
        .expect(200);
      await t.http().get(path).set('Cookie', 'sw_read=wrong').expect(403);
    }
    await t.http().get('/sagas').set('Cookie', `sw_read=${READ}`).expect(401);
    await t.http().get('/payments').set('Cookie', `sw_read=${READ}`).expect(401);
  });

  it('leaves the order, the catalog, health, metrics, the API docs and the page assets open', async () => {
    for (const path of openPaths(placed)) {
      const res = await t.http().get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
    }
  });

  it('keeps the operator actions to the admin token: the read token does not unlock them', async () => {
    const abort = `/sagas/${placed.sagaId}/abort?dryRun=true`;
    await t.http().post(abort).set('Authorization', `Bearer ${READ}`).expect(403);
    await t.http().post(abort).set('Authorization', `Bearer ${ADMIN}`).expect(200);
  });

  it('answers the same from the read guard and the admin guard: 401 without a token, 403 with a wrong one', async () => {
    const abort = `/sagas/${placed.sagaId}/abort?dryRun=true`;
    for (const [method, path] of [
      ['get', '/sagas'],
      ['post', abort],
    ] as const) {
      const none = await t.http()[method](path);
      const wrong = await t.http()[method](path).set('Authorization', 'Bearer wrong-token-0123456789');
      expect({ path, none: none.status, wrong: wrong.status }).toEqual({ path, none: 401, wrong: 403 });
      expect(none.headers['www-authenticate']).toMatch(/^Bearer /);
      expect(wrong.body).toMatchObject({ statusCode: 403, error: 'Forbidden', message: expect.stringContaining('the token is wrong') });
    }
  });
});

// The rule does not depend on the database: these run on PGlite only.
describe('no token set', () => {
  let t: TestApp;
  let placed: Placed;

  beforeAll(async () => {
    t = await startTestApp('pglite');
    placed = await place(t);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('leaves every read open (the server then listens on loopback only)', async () => {
    for (const path of [...guardedPaths(placed), ...openPaths(placed)]) {
      const res = await t.http().get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
    }
  });
});

describe('failed token checks from one address', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp('pglite', { config: { readToken: READ, adminToken: ADMIN } });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('after 20 failures within a minute, are answered 429 with Retry-After, the right token included', async () => {
    for (let i = 0; i < 10; i++) await t.http().get('/payments').set('Authorization', 'Bearer guess').expect(403);
    for (let i = 0; i < 10; i++) await t.http().post(`/sagas/${randomUUID()}/abort`).set('Authorization', 'Bearer guess').expect(403);
    const refused = await t.http().get('/shipments').set('Authorization', `Bearer ${READ}`).expect(429);
    expect(refused.body).toEqual({ statusCode: 429, error: 'Too Many Requests', message: expect.stringMatching(/retry in \d+ s/) });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const page = await t.http().get('/ui').set('Cookie', `sw_read=${READ}`).expect(429);
    expect(page.headers['retry-after']).toMatch(/^\d+$/);
    expect(page.text).toContain('data-token-required="429"');
    await t.http().post(`/sagas/${randomUUID()}/retry`).set('Authorization', `Bearer ${ADMIN}`).expect(429);
    // what needs no token is not throttled
    await t.http().get('/products').expect(200);
  });
});

/** 20 failed checks from the client `X-Forwarded-For` names: enough to be throttled. */
async function failTwentyTimes(t: TestApp, forwardedFor: string): Promise<void> {
  for (let i = 0; i < 20; i++)
    await t.http().get('/payments').set('X-Forwarded-For', forwardedFor).set('Authorization', 'Bearer guess').expect(403);
}

describe('the throttle of failed token checks behind a proxy', () => {
  let t: TestApp | undefined;

  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('with TRUST_PROXY unset, keys on the connection: X-Forwarded-For changes nothing, every client of a proxy shares one key', async () => {
    t = await startTestApp('pglite', { config: { readToken: READ } });
    await failTwentyTimes(t, '203.0.113.1');
    await t.http().get('/payments').set('X-Forwarded-For', '203.0.113.2').set('Authorization', `Bearer ${READ}`).expect(429);
  });

  it('with TRUST_PROXY=1 (one proxy in front), keys on the client the proxy names, each client apart', async () => {
    t = await startTestApp('pglite', { config: { readToken: READ, trustProxy: 1 } });
    await failTwentyTimes(t, '203.0.113.1');
    await t.http().get('/payments').set('X-Forwarded-For', '203.0.113.1').set('Authorization', `Bearer ${READ}`).expect(429);
    await t.http().get('/payments').set('X-Forwarded-For', '203.0.113.2').set('Authorization', `Bearer ${READ}`).expect(200);
    // A client cannot pick a fresh address by writing its own X-Forwarded-For: the proxy appends what it saw.
    await t.http().get('/payments').set('X-Forwarded-For', '198.51.100.9, 203.0.113.1').set('Authorization', `Bearer ${READ}`).expect(429);
  });
});
