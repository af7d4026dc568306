import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../support/test-app';
import { databaseKinds } from '../support/test-database';

describe.each(databaseKinds())('health endpoints, on %s', (kind) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(kind);
    await t.job.runOnce();
  });

  afterAll(async () => {
    await t?.close();
  });

  it('/health/live answers while the process runs', async () => {
    const res = await t.http().get('/health/live').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', info: { process: { status: 'up', uptimeSeconds: expect.any(Number) } } });
    // nothing about the host or the process beyond "up" reaches a public probe
    expect(JSON.stringify(res.body)).not.toMatch(/pid|hostname/);
    expect((res.body as { info: { database?: unknown } }).info.database).toBeUndefined();
  });

  it('/health/ready and /health check the database and the timeout job', async () => {
    for (const path of ['/health/ready', '/health']) {
      const res = await t.http().get(path).expect(200);
      expect(res.body).toMatchObject({
        status: 'ok',
        info: { database: { status: 'up' }, timeoutJob: { status: 'up', enabled: true, intervalMs: 100, lastPassOk: true } },
      });
    }
  });

  it('is not ready once the timeout job stops passing, while still live', async () => {
    // stop the job's interval, then pretend its last pass finished a minute ago
    await t.job.onApplicationShutdown();
    t.job.lastPass = { at: new Date(Date.now() - 60_000), claimed: 0, durationMs: 3, ok: true };
    for (const path of ['/health/ready', '/health']) {
      const res = await t.http().get(path).expect(503);
      expect(res.body).toMatchObject({
        status: 'error',
        error: { timeoutJob: { status: 'down', message: expect.stringMatching(/no pass finished for \d+ s/) } },
      });
      expect((res.body as { info: { database?: unknown } }).info.database).toMatchObject({ status: 'up' });
    }
    await t.http().get('/health/live').expect(200);
  });

  it('is not ready when the database does not answer, while still live', async () => {
    t.job.lastPass = { at: new Date(), claimed: 0, durationMs: 3, ok: true };
    await t.dataSource.destroy();
    const res = await t.http().get('/health/ready').expect(503);
    expect(res.body).toMatchObject({ status: 'error', error: { database: { status: 'down', message: 'the database cannot be reached' } } });
    // the driver's own words (hosts, ports, internals) stay in the log
    expect(JSON.stringify(res.body)).not.toMatch(/Driver|ECONN|Connected/);
    await t.http().get('/health/live').expect(200);
  });
});
