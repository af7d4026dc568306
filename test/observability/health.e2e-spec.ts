import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { startTestApp, type TestApp } from '../support/test-app';
import { databaseKinds } from '../support/test-database';

/**
 * Makes every transaction of the app's database read-only, as a failover to a standby or a full disk does. On
 * PostgreSQL: a database default, with the app's sessions ended so its pool opens new ones under it (the test's
 * own session overrides the default, so it can undo it). PGlite has one session: the session default is enough.
 */
async function readOnly(t: TestApp, on: boolean): Promise<void> {
  if (!t.db.target.url) {
    await t.dataSource.query(`SET default_transaction_read_only = ${on ? 'on' : 'off'}`);
    return;
  }
  const admin = new pg.Client({ connectionString: t.db.target.url, options: '-c default_transaction_read_only=off' });
  await admin.connect();
  try {
    await admin.query(
      `ALTER DATABASE "${admin.database}" ${on ? 'SET default_transaction_read_only = on' : 'RESET default_transaction_read_only'}`,
    );
    await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
  } finally {
    await admin.end();
  }
}

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

  it('is not ready while the database answers pings but refuses writes (read-only), and ready again after', async () => {
    t.job.lastPass = { at: new Date(), claimed: 0, durationMs: 3, ok: true };
    await readOnly(t, true);
    try {
      const res = await t.http().get('/health/ready').expect(503);
      expect(res.body).toMatchObject({
        status: 'error',
        error: { database: { status: 'down', message: 'the database does not take writes' } },
      });
    } finally {
      await readOnly(t, false);
    }
    await t.http().get('/health/ready').expect(200);
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
