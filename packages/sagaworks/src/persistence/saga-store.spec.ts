import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { postgresKinds } from '../../../../test/support/test-database.js';
import { migratedSagaDatabase } from '../spec-support/migrated-saga-database.js';
import { SagaStore } from './saga-store.js';

for (const kind of postgresKinds()) {
  describe(`SagaStore row locks (${kind})`, () => {
    const saga = migratedSagaDatabase(kind);

    /** A saga in flight, leased to `owner` until `leaseUntil` (and due then). */
    async function insertSaga(o: {
      type: string;
      owner: string;
      leaseUntil: Date;
      id?: string;
      correlationId?: string;
      hash?: string;
    }): Promise<string> {
      const id = o.id ?? randomUUID();
      await saga.ds.query(
        `INSERT INTO saga_instance (id, type, correlation_id, status, step_index, current_step, steps, data, due_at, lease_owner,
           lease_until, wake_at, version, history_seq, definition_hash, created_at, updated_at)
         VALUES ($1::uuid, $2, $3, 'RUNNING', 0, 'one', '[]', '{}', now() + interval '1 hour', $4, $5, $5, 1, 0, $6, now(), now())`,
        [id, o.type, o.correlationId ?? id, o.owner, o.leaseUntil.toISOString(), o.hash ?? 'h'],
      );
      return id;
    }

    const insertLeased = (owner: string, leaseUntil: Date): Promise<string> => insertSaga({ type: 'lease-test', owner, leaseUntil });

    const leaseOf = async (id: string): Promise<Date> =>
      new Date((await saga.ds.query<{ lease_until: Date }[]>(`SELECT lease_until FROM saga_instance WHERE id = $1`, [id]))[0].lease_until);

    it('renewLeases renews the leases about to end, skips a row a transition holds locked, and never waits for it', async () => {
      const soon = new Date(Date.now() + 500);
      const [a, b, locked] = [await insertLeased('node-a', soon), await insertLeased('node-a', soon), await insertLeased('node-a', soon)];
      const other = await insertLeased('node-b', soon);
      // A transition of `locked` is being stored by another connection right now.
      const holder = new pg.Client({ connectionString: saga.db.target.url });
      await holder.connect();
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM saga_instance WHERE id = $1 FOR UPDATE`, [locked]);
      try {
        const until = new Date(Date.now() + 60_000);
        const renewed = new SagaStore(saga.ds).renewLeases({ owner: 'node-a', until }, new Date(Date.now() + 30_000)).then(() => 'renewed');
        const waited = new Promise((r) => setTimeout(() => r('waited for the locked row'), 10_000).unref());
        expect(await Promise.race([renewed, waited])).toBe('renewed');
        expect((await leaseOf(a)).getTime()).toBe(until.getTime());
        expect((await leaseOf(b)).getTime()).toBe(until.getTime());
        expect((await leaseOf(other)).getTime()).toBe(soon.getTime());
      } finally {
        await holder.query('ROLLBACK');
        await holder.end();
      }
      expect((await leaseOf(locked)).getTime()).toBe(soon.getTime());
    });

    it('hold locks its rows in id order, as batch writes do, so it never deadlocks with one', async () => {
      // The higher id comes first in the heap and in the (type, correlation id) index: a scan in either order
      // would lock it first.
      const [low, high] = [randomUUID(), randomUUID()].sort();
      const leaseUntil = new Date(Date.now() + 3_600_000);
      await insertSaga({ type: 'hold-test', id: high, correlationId: 'a', owner: 'node-a', leaseUntil, hash: 'old-hash' });
      await insertSaga({ type: 'hold-test', id: low, correlationId: 'b', owner: 'node-a', leaseUntil, hash: 'old-hash' });
      // A batch write holds the lower id and is about to update the higher one.
      const writer = new pg.Client({ connectionString: saga.db.target.url });
      await writer.connect();
      try {
        await writer.query('BEGIN');
        await writer.query(`SELECT 1 FROM saga_instance WHERE id = $1 FOR UPDATE`, [low]);
        const held = new SagaStore(saga.ds).hold('hold-test', 'old-hash').then(() => 'held');
        await new Promise((r) => setTimeout(r, 200));
        const wrote = writer.query(`UPDATE saga_instance SET version = version + 1 WHERE id = $1`, [high]).then(() => 'wrote');
        const stuck = new Promise((r) => setTimeout(() => r('the write waited on hold'), 10_000).unref());
        expect(await Promise.race([wrote, stuck])).toBe('wrote');
        await writer.query('COMMIT');
        expect(await held).toBe('held');
      } finally {
        await writer.end();
      }
      const rows = await saga.ds.query<{ wake_at: Date | null; version: number }[]>(
        `SELECT id, wake_at, version FROM saga_instance WHERE type = 'hold-test' ORDER BY id`,
      );
      expect(rows.map((r) => [r.wake_at, r.version])).toEqual([
        [null, 1],
        [null, 2],
      ]);
    });
  });
}
