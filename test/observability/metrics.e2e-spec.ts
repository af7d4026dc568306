import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { orderRequest, placeAndSettle, settleSilentStep, startTestApp, type TestApp } from '../support/test-app';
import { databaseKinds } from '../support/test-database';
import { parseSamples, sampleValue } from './prometheus-text';

const TYPE = 'order-fulfillment';
/** No step misses it on a slow machine; tok_timeout's payment reaches it when the test moves the saga clock. */
const STEP_TIMEOUT_MS = 60_000;

describe.each(databaseKinds())('GET /metrics, on %s', (kind) => {
  let t: TestApp;
  const scrape = async () => {
    const res = await t.http().get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return { text: res.text, samples: parseSamples(res.text) };
  };

  beforeAll(async () => {
    // Two attempts let tok_timeout retry once, then compensate.
    t = await startTestApp(kind, { saga: { stepTimeoutMs: STEP_TIMEOUT_MS, maxAttempts: 2 } });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('exposes the saga metrics, with process metrics, before any saga ran', async () => {
    const { text, samples } = await scrape();
    for (const name of [
      'saga_started_total',
      'saga_completed_total',
      'saga_compensated_total',
      'saga_failed_total',
      'saga_step_duration_seconds',
      'saga_duration_seconds',
      'sagas_in_flight',
      'saga_timeout_job_lag_seconds',
      'saga_timeout_job_claims_total',
      'saga_step_retries_total',
      'saga_infrastructure_waits_total',
      'saga_redeliveries_from_memory_total',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(sampleValue(samples, 'sagas_in_flight', { type: TYPE })).toBe(0);
    for (const name of ['saga_started_total', 'saga_completed_total', 'saga_compensated_total', 'saga_failed_total'])
      expect(sampleValue(samples, name, { type: TYPE })).toBe(0);
    expect(sampleValue(samples, 'saga_infrastructure_waits_total', { type: TYPE, step: 'processPayment' })).toBe(0);
    expect(sampleValue(samples, 'saga_redeliveries_from_memory_total')).toBe(0);
    expect(sampleValue(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it('counts sagas started, completed and compensated, step and saga durations, retries and job claims', async () => {
    const before = (await scrape()).samples;
    const claimsBefore = sampleValue(before, 'saga_timeout_job_claims_total') ?? 0;
    const settled = await Promise.all([
      placeAndSettle(t, orderRequest()),
      placeAndSettle(t, orderRequest({ paymentToken: 'tok_declined' })),
      t
        .http()
        .post('/orders')
        .send(orderRequest({ paymentToken: 'tok_timeout' }))
        .expect(201)
        .then((res) => settleSilentStep(t, (res.body as { id: string }).id, 'processPayment')),
    ]);
    expect(settled.map((o) => o.status)).toEqual(['CONFIRMED', 'CANCELLED', 'CANCELLED']);

    const { samples } = await scrape();
    const value = (name: string, labels: Record<string, string> = {}) => sampleValue(samples, name, { type: TYPE, ...labels });
    expect(value('saga_started_total')).toBe(3);
    expect(value('saga_completed_total')).toBe(1);
    expect(value('saga_compensated_total')).toBe(2);
    expect(value('saga_failed_total')).toBe(0);
    expect(value('sagas_in_flight')).toBe(0);

    expect(value('saga_duration_seconds_count', { status: 'COMPLETED' })).toBe(1);
    expect(value('saga_duration_seconds_count', { status: 'COMPENSATED' })).toBe(2);
    expect(value('saga_duration_seconds_sum', { status: 'COMPENSATED' })).toBeGreaterThan(0.3);

    expect(value('saga_step_duration_seconds_count', { step: 'reserveInventory', outcome: 'completed' })).toBe(3);
    expect(value('saga_step_duration_seconds_count', { step: 'processPayment', outcome: 'completed' })).toBe(1);
    expect(value('saga_step_duration_seconds_count', { step: 'processPayment', outcome: 'failed' })).toBe(2);
    expect(value('saga_step_duration_seconds_count', { step: 'reserveInventory', outcome: 'compensated' })).toBe(2);
    expect(value('saga_step_duration_seconds_count', { step: 'placeOrder', outcome: 'completed' })).toBeUndefined();
    // the timed-out payment: attempt 1 timed out, attempt 2 was a retry
    expect(value('saga_step_retries_total', { step: 'processPayment' })).toBe(1);

    expect((sampleValue(samples, 'saga_timeout_job_claims_total') ?? 0) - claimsBefore).toBeGreaterThanOrEqual(2);
    expect(sampleValue(samples, 'saga_timeout_job_passes_total', { outcome: 'ok' })).toBeGreaterThan(0);
    const lag = sampleValue(samples, 'saga_timeout_job_lag_seconds');
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThan(5);
  });

  it('counts a saga in flight while it waits on a step', async () => {
    // tok_timeout's payment waits on its deadline: the saga is in flight right after it is placed
    const res = await t
      .http()
      .post('/orders')
      .send(orderRequest({ paymentToken: 'tok_timeout' }))
      .expect(201);
    const { samples } = await scrape();
    expect(sampleValue(samples, 'sagas_in_flight', { type: TYPE })).toBe(1);
    await settleSilentStep(t, (res.body as { id: string }).id, 'processPayment');
    expect(sampleValue((await scrape()).samples, 'sagas_in_flight', { type: TYPE })).toBe(0);
  });
});
