import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { killAllAppProcesses, startAppProcess } from '../support/app-process';
import { startCollector } from '../support/otlp-collector';
import { waitFor } from '../support/wait-for';

const ORDER = {
  customerId: 'otlp-customer',
  items: [{ sku: 'SKU-001', quantity: 1 }],
  paymentToken: 'tok_visa',
  shippingAddress: { line1: '1 Trace Way', city: 'Spanville', postalCode: '12345', country: 'NL' },
};

describe('saga traces over OTLP (built app, PGlite in memory)', () => {
  let collector: Awaited<ReturnType<typeof startCollector>>;

  beforeAll(async () => {
    collector = await startCollector();
  });

  afterAll(async () => {
    await killAllAppProcesses();
    await new Promise((resolve) => collector?.server.close(resolve));
  });

  it('sends nothing unless OTEL_EXPORTER_OTLP_ENDPOINT names a collector; then a saga is one trace, its id the saga id', async () => {
    const env = { PGLITE_DATA_DIR: 'memory://', SAGA_STEP_TIMEOUT_MS: '5000' };
    const quiet = await startAppProcess({ name: 'otlp-off', env: { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: undefined } });
    const place = async (url: string) => {
      const res = await fetch(`${url}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(ORDER),
      });
      expect(res.status).toBe(201);
      const { id, sagaId } = (await res.json()) as { id: string; sagaId: string };
      await waitFor(
        async () => ((await (await fetch(`${url}/orders/${id}`)).json()) as { status: string }).status,
        (s) => s === 'CONFIRMED',
      );
      return sagaId;
    };
    await place(quiet.url);
    // Longer than the batch processor's 5 s: a tracing app would have sent this saga's spans by now.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    expect(collector.posts).toEqual([]);
    await quiet.kill('SIGTERM');

    const traced = await startAppProcess({ name: 'otlp-on', env: { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: collector.url } });
    const sagaId = await place(traced.url);
    const traceId = sagaId.replace(/-/g, '');
    // The batch processor sends every 5 s.
    const mine = await waitFor(
      () => collector.spans.filter((s) => s.traceId === traceId).map((s) => s.name),
      (names) => names.includes('step confirmOrder #1') && names.includes('saga RUNNING -> COMPLETED'),
      20_000,
    );
    expect(mine).toEqual(expect.arrayContaining(['step reserveInventory #1', 'handle ReserveInventoryCommand', 'step processPayment #1']));
    expect(new Set(collector.spans.map((s) => s.traceId)).size).toBe(1);
    expect(collector.posts.every((p) => p.startsWith('POST /v1/traces application/json'))).toBe(true);
    await traced.kill('SIGTERM');
  }, 90_000);
});
