import { afterEach, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../../../src/database/data-source-options.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../../../test/support/test-database.js';
import { sagaMigrations } from './migrations/index.js';
import { SagaHistoryEntity } from './saga-history.entity.js';
import { SagaInstanceEntity } from './saga-instance.entity.js';
import { missingSagaSchema, SAGA_SCHEMA, SagaSchemaError } from './saga-schema-check.js';

const entities = [SagaInstanceEntity, SagaHistoryEntity];

for (const kind of databaseKinds()) {
  describe(`the saga tables' schema, on ${kind}`, () => {
    let db: TestDatabase | undefined;
    let ds: DataSource | undefined;

    async function connect(options: { migrations: boolean; synchronize: boolean }): Promise<DataSource> {
      db = await createTestDatabase(kind, 2);
      const base = await buildDataSourceOptions(db.target, { migrations: options.migrations ? sagaMigrations : [], entities });
      ds = await new DataSource({ ...base, migrationsRun: options.migrations, synchronize: options.synchronize }).initialize();
      return ds;
    }

    afterEach(async () => {
      await ds?.destroy();
      await db?.drop();
      ds = undefined;
      db = undefined;
    });

    it('when migrated, the entities declare exactly what the migrations made: synchronize would change nothing', async () => {
      const migrated = await connect({ migrations: true, synchronize: false });
      const plan = await migrated.driver.createSchemaBuilder().log();
      expect(plan.upQueries.map((q) => q.query)).toEqual([]);
      expect(await missingSagaSchema(migrated)).toEqual([]);
    });

    it('when migrated and then synchronized (a common development set-up), every constraint and index is kept', async () => {
      const synced = await connect({ migrations: true, synchronize: true });
      expect(await missingSagaSchema(synced)).toEqual([]);
      const insert = `INSERT INTO saga_instance (id, type, correlation_id, status, step_index, steps, data, version, history_seq, definition_hash, created_at, updated_at)
        VALUES (gen_random_uuid(), 'checkout', 'cart-1', 'RUNNING', 0, '[]', '{}', 1, 0, 'h', now(), now())`;
      await synced.query(insert);
      await expect(synced.query(insert)).rejects.toThrow(/saga_instance_type_correlation_uq/);
    });

    it('when only synchronized, the check names the batch function that synchronize cannot create', async () => {
      const syncedOnly = await connect({ migrations: false, synchronize: true });
      expect(await missingSagaSchema(syncedOnly)).toEqual(['function saga_store_transitions(jsonb)']);
    });

    it('when a constraint or an index was dropped, the check names each of them', async () => {
      const damaged = await connect({ migrations: true, synchronize: false });
      await damaged.query('ALTER TABLE saga_instance DROP CONSTRAINT saga_instance_type_correlation_uq');
      await damaged.query('DROP INDEX saga_instance_wake_idx');
      await damaged.query('DROP INDEX saga_instance_created_idx');
      const missing = await missingSagaSchema(damaged);
      expect(missing).toEqual([
        'constraint saga_instance_type_correlation_uq',
        'index saga_instance_wake_idx',
        'index saga_instance_created_idx',
      ]);
      expect(new SagaSchemaError(missing).message).toContain(
        'missing: constraint saga_instance_type_correlation_uq, index saga_instance_wake_idx',
      );
    });

    it('when the tables do not exist at all, the check names every part', async () => {
      const empty = await connect({ migrations: false, synchronize: false });
      const all = Object.values(SAGA_SCHEMA).reduce((n, parts) => n + parts.length, 0);
      expect(await missingSagaSchema(empty)).toHaveLength(all);
    });
  });
}
