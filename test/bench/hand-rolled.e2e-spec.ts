import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createTestDatabase, postgresKinds, type TestDatabase } from '../support/test-database';
import { parseArgs } from './args';
import { HandRolledOrchestrator } from './hand-rolled';

// The bench's peer must be what the README says it is: 17 statements and 5 commits per happy saga, every saga
// completed, stock and money accounted for. A faster peer that skipped work would flatter no one; a slower one
// would flatter Sagaworks.
for (const kind of postgresKinds()) {
  describe(`the bench's hand-rolled peer (${kind})`, () => {
    let db: TestDatabase;
    let peer: HandRolledOrchestrator;
    let check: pg.Client;

    beforeAll(async () => {
      db = await createTestDatabase(kind);
      peer = await HandRolledOrchestrator.open(db.target.url!, 4);
      check = new pg.Client({ connectionString: db.target.url });
      await check.connect();
    });

    afterAll(async () => {
      await check.end();
      await peer.close();
      await db.drop();
    });

    it('completes every saga with 17 statements and 5 commits each, and accounts for stock and money', async () => {
      const stockBefore = (await check.query<{ n: number }>(`SELECT sum(available)::int AS n FROM hand_rolled_products`)).rows[0].n;
      const row = await peer.load(40, 8);
      expect(row).toMatchObject({ n: 40, completed: 40, perSaga: { sqlStatements: 17, commits: 5 } });
      expect(row.sagasPerSecond).toBeGreaterThan(0);
      const sagas = (
        await check.query<{ status: string; step: string | null; version: number; deadline: Date | null }>(
          `SELECT status, step, version, deadline FROM hand_rolled_sagas`,
        )
      ).rows;
      expect(sagas).toHaveLength(40);
      expect(sagas.every((s) => s.status === 'COMPLETED' && s.step === null && s.version === 5 && s.deadline === null)).toBe(true);
      const orders = (
        await check.query(`SELECT status, count(*)::int AS n, sum(total_cents)::int AS total FROM hand_rolled_orders GROUP BY status`)
      ).rows;
      const charged = (
        await check.query<{ total: number }>(`SELECT sum(amount_cents)::int AS total FROM hand_rolled_payments WHERE status = 'CHARGED'`)
      ).rows[0].total;
      expect(orders).toEqual([{ status: 'CONFIRMED', n: 40, total: charged }]);
      const stock = (
        await check.query<{ available: number; reserved: number }>(
          `SELECT sum(available)::int AS available, sum(reserved)::int AS reserved FROM hand_rolled_products`,
        )
      ).rows[0];
      expect(stock).toEqual({ available: stockBefore - 40, reserved: 40 });
      expect((await check.query<{ n: number }>(`SELECT count(*)::int AS n FROM hand_rolled_shipments`)).rows[0].n).toBe(40);
    });
  });
}

describe('bench arguments', () => {
  it('runs the peer unless --no-peer, warms up with 3000 sagas, and keeps a scenario list in its order', () => {
    expect(parseArgs([])).toMatchObject({ peer: true, warmup: 3000, scenarios: ['happy', 'mix'] });
    expect(parseArgs(['--no-peer', '--scenario', 'mix,happy'])).toMatchObject({ peer: false, scenarios: ['mix', 'happy'] });
    expect(() => parseArgs(['--scenario', 'happy,sad'])).toThrow(/--scenario/);
  });
});
