import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { SqlRunner } from './saga-store.js';

/**
 * What the saga store relies on, by the names the migrations (and the entities) give them: the unique
 * (type, correlation id) makes a second start of one saga a no-op, the partial index keeps the timeout job's
 * claim cheap, the list indexes keep every page of `GET /sagas` an index range read, and the function stores a batch of transitions in one call.
 */
export const SAGA_SCHEMA = {
  tables: ['saga_instance', 'saga_history'],
  constraints: [
    'saga_instance_pkey',
    'saga_instance_type_correlation_uq',
    'saga_instance_status_check',
    'saga_history_pkey',
    'saga_history_saga_id_fkey',
  ],
  indexes: [
    'saga_instance_wake_idx',
    'saga_instance_created_idx',
    'saga_instance_status_created_idx',
    'saga_instance_type_created_idx',
    'saga_instance_correlation_idx',
    'saga_instance_lease_idx',
  ],
  functions: ['saga_store_transitions(jsonb)'],
} as const;

/** The saga tables lack something the store relies on; the message names each missing part. */
export class SagaSchemaError extends Error {
  constructor(readonly missing: string[]) {
    super(
      `The saga tables are incomplete, missing: ${missing.join(', ')}. Run the saga migrations (add \`sagaMigrations\` ` +
        `to your DataSource's migrations); \`synchronize\` alone creates no function and cannot repair a table it did not create.`,
    );
    this.name = 'SagaSchemaError';
  }
}

/** Every part of {@link SAGA_SCHEMA} the database lacks, in the app's search path; empty when all are there. */
export async function missingSagaSchema(db: SqlRunner): Promise<string[]> {
  const rows: { kind: string; name: string }[] = await db.query(
    `SELECT 'table' AS kind, t.name FROM unnest($1::text[]) AS t(name) WHERE to_regclass(t.name) IS NOT NULL
     UNION ALL
     SELECT 'constraint', conname::text FROM pg_constraint WHERE conrelid = ANY (ARRAY[to_regclass($1[1]), to_regclass($1[2])]::oid[])
     UNION ALL
     SELECT 'index', c.relname::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = to_regclass($1[1])
     UNION ALL
     SELECT 'function', f.name FROM unnest($2::text[]) AS f(name) WHERE to_regprocedure(f.name) IS NOT NULL`,
    [SAGA_SCHEMA.tables, SAGA_SCHEMA.functions],
  );
  const present = new Set(rows.map((r) => `${r.kind} ${r.name}`));
  const expected = [
    ...SAGA_SCHEMA.tables.map((n) => `table ${n}`),
    ...SAGA_SCHEMA.constraints.map((n) => `constraint ${n}`),
    ...SAGA_SCHEMA.indexes.map((n) => `index ${n}`),
    ...SAGA_SCHEMA.functions.map((n) => `function ${n}`),
  ];
  return expected.filter((part) => !present.has(part));
}

/** Refuses to start the app on saga tables that lack a constraint, index or function the store relies on. */
@Injectable()
export class SagaSchemaCheck implements OnModuleInit {
  constructor(private readonly db: () => SqlRunner) {}

  async onModuleInit(): Promise<void> {
    const missing = await missingSagaSchema(this.db());
    if (missing.length > 0) throw new SagaSchemaError(missing);
  }
}
