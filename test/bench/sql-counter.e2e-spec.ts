import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CommandBus, EventBus } from '@nestjs/cqrs';
import { startTestApp, type TestApp } from '../support/test-app';
import { runLoad, SagaEndWatcher } from './load';
import { SqlCounter } from './sql-counter';

// The bench's two counts must agree: TypeORM's (every QueryRunner.query) and the wire's (every query() of the
// pool's client class). The wire count once read 0 for months: the app's client subclass calls pg's query()
// directly, past a patch on pg.Client.prototype.
describe("the bench's SQL counter, on postgres", () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp('postgres', { seedStock: 10_000 });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('counts on the wire every statement TypeORM sends, no more, no fewer', async () => {
    const pool = (t.dataSource.driver as unknown as { master: { options: { Client: { prototype: object } } } }).master;
    const counter = new SqlCounter();
    counter.install(t.dataSource, true, pool.options.Client);
    const watcher = new SagaEndWatcher(t.app.get(EventBus));
    try {
      await runLoad({ commandBus: t.app.get(CommandBus), baseUrl: null, watcher }, 20, 4, 'happy');
    } finally {
      watcher.close();
    }
    const counts = counter.take();
    expect(counts.statements).toBeGreaterThanOrEqual(20 * 5);
    expect(counts.wireStatements).toBe(counts.statements);
  });
});
