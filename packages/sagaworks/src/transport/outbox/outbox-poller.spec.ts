import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../../../../src/database/data-source-options.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../../../../test/support/test-database.js';
import { messagingMigrations } from './1767000000000-create-messaging-tables.js';
import { OutboxPoller } from './outbox-poller.js';
import type { OutboxRow } from './saga-outbox.js';

const logger = new Logger('spec');
logger.warn = () => undefined;

describe.each(databaseKinds())('OutboxPoller, on %s', (kind) => {
  let db: TestDatabase;
  let ds: DataSource;
  const pending = async () => (await ds.query<{ type: string }[]>(`SELECT type FROM sagaworks_outbox ORDER BY type`)).map((r) => r.type);
  const store = async (type: string, ageMs: number): Promise<void> =>
    void (await ds.query(
      `INSERT INTO sagaworks_outbox (id, type, body, created_at) VALUES ($1, $2, '{"n":1}', now() - make_interval(secs => $3::float8 / 1000))`,
      [randomUUID(), type, ageMs],
    ));

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    ds = new DataSource(await buildDataSourceOptions(db.target, { migrations: messagingMigrations, migrationsRun: true }));
    await ds.initialize();
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('keeps what the broker would not take, and publishes it (once confirmed, deletes it) on a later pass', async () => {
    let brokerUp = false;
    const published: OutboxRow[] = [];
    const poller = new OutboxPoller({
      dataSource: () => ds,
      logger,
      graceMs: 1_000,
      publish: (rows) => (brokerUp ? Promise.resolve(void published.push(...rows)) : Promise.reject(new Error('broker down'))),
    });
    await store('Old', 5_000);
    await store('Fresh', 0);
    expect(await poller.pass()).toBe(0);
    expect(await pending()).toEqual(['Fresh', 'Old']);
    brokerUp = true;
    // A row younger than the grace is left to the publish right after its commit.
    expect(await poller.pass()).toBe(1);
    expect(published.map((r) => [r.type, JSON.parse(r.body) as unknown])).toEqual([['Old', { n: 1 }]]);
    expect(await pending()).toEqual(['Fresh']);
    await ds.query(`DELETE FROM sagaworks_outbox`);
  });

  it('the publish right after commit deletes its rows once confirmed, and leaves them to the poll when it fails', async () => {
    let fail = true;
    const poller = new OutboxPoller({
      dataSource: () => ds,
      logger,
      publish: () => (fail ? Promise.reject(new Error('broker down')) : Promise.resolve()),
    });
    const row = { id: randomUUID(), type: 'Committed', body: '{}', headers: {} };
    await ds.query(`INSERT INTO sagaworks_outbox (id, type, body) VALUES ($1, $2, '{}')`, [row.id, row.type]);
    await poller.publishCommitted([row]);
    expect(await pending()).toEqual(['Committed']);
    fail = false;
    await poller.publishCommitted([row]);
    expect(await pending()).toEqual([]);
  });
});
