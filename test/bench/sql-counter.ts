import pg from 'pg';
import type { DataSource, QueryRunner } from 'typeorm';

/** Statements of the timeout job (lease renewal and due claims): background work, reported apart from sagas. */
const BACKGROUND = [/FOR UPDATE SKIP LOCKED/i, /lease_until < \$3/i];
/** A statement that writes (plain or inside a data-modifying CTE). */
const WRITES = /\b(INSERT\s+INTO|DELETE\s+FROM|UPDATE\s+(?!SKIP\b|NOWAIT\b)[a-z_"]+)/i;

interface Classified {
  background: boolean;
  kind: string;
  writes: boolean;
}

/** The app's SQL texts are a few dozen constants: classify each once, so counting costs the run next to nothing. */
const classified = new Map<string, Classified>();

function classify(sql: string): Classified {
  let c = classified.get(sql);
  if (!c) {
    c = { background: BACKGROUND.some((re) => re.test(sql)), kind: statementKind(sql), writes: WRITES.test(sql) };
    if (classified.size < 1000) classified.set(sql, c);
  }
  return c;
}

export interface SqlCounts {
  /** Statements TypeORM sent (every `QueryRunner.query`, START TRANSACTION and COMMIT included). */
  statements: number;
  /** Statements the `pg` clients put on the wire (PostgreSQL only; null on PGlite): the cross-check. */
  wireStatements: number | null;
  /** COMMIT statements (explicit transactions). */
  explicitCommits: number;
  /** Statements run outside an explicit transaction: each is its own (implicit) transaction and commit. */
  implicitCommits: number;
  /** Commits that wrote something (an explicit transaction with a write, or a writing implicit statement). */
  writeCommits: number;
  rollbacks: number;
  /** Statements of the timeout job, excluded from everything above. */
  backgroundStatements: number;
  /** Statements by verb and table ("INSERT orders", "SELECT payments", "COMMIT"...). */
  byKind: Record<string, number>;
}

/** "INSERT saga_instance" for `WITH w AS (INSERT INTO saga_instance ...`, "COMMIT" for COMMIT, and so on. */
export function statementKind(sql: string): string {
  const s = sql.trim();
  const head = /^(START TRANSACTION|BEGIN|COMMIT|ROLLBACK)\b/i.exec(s);
  if (head) return head[1].toUpperCase();
  const m = /\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+("?\w+"?)/i.exec(s) ?? /\b(FROM)\s+("?\w+"?)/i.exec(s);
  if (!m) return s.split(/\s+/, 1)[0].toUpperCase();
  const verb = m[1].split(/\s+/)[0].toUpperCase();
  return `${verb === 'FROM' ? 'SELECT' : verb} ${m[2].replace(/"/g, '')}`;
}

/**
 * Counts the SQL the app sends, at two levels: TypeORM's logger hook (`logQuery` runs for every
 * `QueryRunner.query`, on PostgreSQL and PGlite alike, before the statement is sent) and, on PostgreSQL, every
 * `pg.Client#query` call (what reaches the wire). Transaction boundaries are tracked per query runner: a
 * statement outside START TRANSACTION ... COMMIT is an implicit transaction of its own.
 */
export class SqlCounter {
  private counts: SqlCounts = SqlCounter.zero(false);
  private readonly openTx = new WeakMap<QueryRunner, { wrote: boolean }>();
  private readonly excludedClients = new WeakSet<object>();
  private wirePatched = false;
  private paused = false;

  static zero(wire: boolean): SqlCounts {
    return {
      statements: 0,
      wireStatements: wire ? 0 : null,
      explicitCommits: 0,
      implicitCommits: 0,
      writeCommits: 0,
      rollbacks: 0,
      backgroundStatements: 0,
      byKind: {},
    };
  }

  /** Hooks the DataSource's logger; with `wire`, also `pg.Client.prototype.query` (PostgreSQL only). */
  install(dataSource: DataSource, wire: boolean, clientClass: { prototype: object } = pg.Client): void {
    const logger = dataSource.logger;
    const original = logger.logQuery.bind(logger);
    logger.logQuery = (query: string, parameters?: unknown[], queryRunner?: QueryRunner): unknown => {
      if (!this.paused) this.record(query, queryRunner);
      return original(query, parameters, queryRunner);
    };
    if (wire) this.patchWire(clientClass);
    this.counts = SqlCounter.zero(wire);
  }

  /** A client whose queries are the bench's own (stats readers), never counted on the wire. */
  exclude(client: object): void {
    this.excludedClients.add(client);
  }

  /** Runs `work` without counting (the bench's own statements through the app's pool). */
  async uncounted<T>(work: () => Promise<T>): Promise<T> {
    this.paused = true;
    try {
      return await work();
    } finally {
      this.paused = false;
    }
  }

  /** The counts since the last reset, and a fresh start. */
  take(): SqlCounts {
    const taken = this.counts;
    this.counts = SqlCounter.zero(taken.wireStatements !== null);
    return taken;
  }

  private record(query: string, runner: QueryRunner | undefined): void {
    const c = this.counts;
    const { background, kind, writes } = classify(query);
    if (background) {
      c.backgroundStatements++;
      return;
    }
    c.statements++;
    c.byKind[kind] = (c.byKind[kind] ?? 0) + 1;
    const tx = runner ? this.openTx.get(runner) : undefined;
    switch (kind) {
      case 'START TRANSACTION':
      case 'BEGIN':
        if (runner) this.openTx.set(runner, { wrote: false });
        return;
      case 'COMMIT':
        c.explicitCommits++;
        if (tx?.wrote) c.writeCommits++;
        if (runner) this.openTx.delete(runner);
        return;
      case 'ROLLBACK':
        c.rollbacks++;
        if (runner) this.openTx.delete(runner);
        return;
    }
    if (tx) {
      tx.wrote ||= writes;
    } else {
      c.implicitCommits++;
      if (writes) c.writeCommits++;
    }
  }

  /** Counts at `clientClass` (the pool's client class: pg's own, or a subclass whose query() calls pg's directly). */
  private patchWire(clientClass: { prototype: object }): void {
    if (this.wirePatched) return;
    this.wirePatched = true;
    // Loosely typed on purpose: pg's query() has a dozen overloads and we only forward the arguments.
    const proto = clientClass.prototype as unknown as { query: (this: object, ...args: unknown[]) => unknown };
    const original = proto.query;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const counter = this;
    proto.query = function (this: object, ...args: unknown[]): unknown {
      if (!counter.paused && !counter.excludedClients.has(this) && counter.counts.wireStatements !== null) {
        const first = args[0];
        const text = typeof first === 'string' ? first : ((first as { text?: string } | undefined)?.text ?? '');
        if (!classify(text).background) counter.counts.wireStatements++;
      }
      return original.apply(this, args);
    };
  }
}
