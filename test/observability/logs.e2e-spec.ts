import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Logger as PinoLogger } from 'nestjs-pino';
import { LOG_DESTINATION } from '../../src/observability/log-destination';
import { SagaLogContext } from '../../src/observability/saga-log-context';
import { orderRequest, type TestApp, startTestApp, waitFor } from '../support/test-app';
import { databaseKinds } from '../support/test-database';

interface LogLine {
  level: number;
  msg: string;
  context?: string;
  sagaId?: string;
  correlationId?: string;
  step?: string;
  traceId?: string;
  command?: string;
  req?: { method: string; url: string; query?: Record<string, unknown>; headers?: Record<string, string> };
}

/**
 * Every JSON line the app logs. One capture for the file: nestjs-pino keeps one root logger per process, built by
 * the first app, so the apps of both databases write here.
 */
const lines: LogLine[] = [];
const capture = {
  write: (chunk: string) =>
    void lines.push(
      ...chunk
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as LogLine),
    ),
};

describe.each(databaseKinds())('structured logs, on %s', (kind) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(kind, {
      config: { log: { level: 'info', format: 'json' } },
      // the payment never answers and is not retried during the test
      saga: { stepTimeoutMs: 60_000 },
      override: (b) => b.overrideProvider(LOG_DESTINATION).useValue(capture),
    });
    t.app.useLogger(t.app.get(PinoLogger));
  });

  afterAll(async () => {
    await t?.close();
  });

  it("puts sagaId, correlationId, step and the saga's trace id on a handler's log line", async () => {
    const res = await t
      .http()
      .post('/orders')
      .set('Authorization', 'Bearer not-logged')
      .send(orderRequest({ paymentToken: 'tok_timeout' }))
      .expect(201);
    const { id: orderId, sagaId } = res.body as { id: string; sagaId: string };
    const warned = await waitFor(
      () => lines.find((l) => l.msg?.includes(`payment provider did not answer for order ${orderId}`)),
      (l) => !!l,
    );
    expect(warned).toMatchObject({
      level: 40,
      context: 'ProcessPaymentHandler',
      sagaId,
      correlationId: orderId,
      step: 'processPayment',
      command: 'ProcessPaymentCommand',
      // the saga's trace: its id, as an OpenTelemetry trace id
      traceId: sagaId.replace(/-/g, ''),
    });

    const request = lines.find((l) => l.req?.method === 'POST' && l.req.url === '/orders' && l.msg === 'request completed');
    expect(request).toMatchObject({ level: 30 });
    // the request's own line is not part of any saga's work, and secrets stay out of the log
    expect(request?.sagaId).toBeUndefined();
    expect(request?.req?.headers?.authorization).toBe('[redacted]');
    expect(JSON.stringify(lines)).not.toContain('not-logged');
  });

  it('keeps credentials out of request lines: auth-like headers and query parameters are redacted', async () => {
    const before = lines.length;
    const url = `/products?token=q-secret-1&access_token=q-secret-2&API_KEY=q-secret-3&key=q-secret-4&client_secret=q-secret-5&sku=SKU-${kind}`;
    await t
      .http()
      .get(url)
      .set('Authorization', 'Bearer h-secret-1')
      .set('Cookie', 'sw_read=h-secret-2')
      .set('X-Admin-Token', 'h-secret-3')
      .set('X-Api-Key', 'h-secret-4')
      .set('Proxy-Authorization', 'Basic h-secret-5');
    const line = await waitFor(
      () => lines.slice(before).find((l) => l.req?.url.startsWith('/products?') && l.msg === 'request completed'),
      (l) => !!l,
    );
    expect(line?.req?.url).toBe(
      `/products?token=[redacted]&access_token=[redacted]&API_KEY=[redacted]&key=[redacted]&client_secret=[redacted]&sku=SKU-${kind}`,
    );
    expect(line?.req?.query).toMatchObject({ token: '[redacted]', API_KEY: '[redacted]', sku: `SKU-${kind}` });
    const redacted = Object.fromEntries(
      ['authorization', 'cookie', 'x-admin-token', 'x-api-key', 'proxy-authorization'].map((h) => [h, '[redacted]']),
    );
    expect(line?.req?.headers).toMatchObject(redacted);
    expect(JSON.stringify(lines.slice(before))).not.toMatch(/[qh]-secret/);
  });

  it('leaves saga fields off lines written outside a saga, and sets them for code run in one', () => {
    const logger = new Logger('OutsideTest');
    logger.log(`outside-${kind}`);
    t.app.get(SagaLogContext).run({ sagaId: 'sagaid-x', command: 'Manual' }, () => logger.log(`inside-${kind}`));
    const outside = lines.find((l) => l.msg === `outside-${kind}`);
    const inside = lines.find((l) => l.msg === `inside-${kind}`);
    expect(outside).toMatchObject({ context: 'OutsideTest', level: 30 });
    expect(outside?.sagaId).toBeUndefined();
    expect(inside).toMatchObject({ context: 'OutsideTest', sagaId: 'sagaid-x', command: 'Manual' });
  });

  it('keeps health probes, scrapes and inspector refreshes out of the request log', async () => {
    const before = lines.length;
    await t.http().get('/health/live').expect(200);
    await t.http().get('/metrics').expect(200);
    await t.http().get('/products').expect(200);
    await waitFor(() => lines.slice(before).some((l) => l.req?.url === '/products'), Boolean);
    expect(lines.slice(before).filter((l) => l.req?.url === '/health/live' || l.req?.url === '/metrics')).toEqual([]);
  });
});
