import type { CpuLayers } from './cpu-layers';
import type { BenchDatabase } from './bench-app';
import type { ExternalPeerRow } from './external-peers';
import type { HandRolledRow } from './hand-rolled';
import type { latencySummary, Scenario } from './load';

const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** Figures measured once elsewhere that the bench compares against (the peers it runs are rows of their own). */
export const ANCHORS = {
  source: 'issue #6 and shared/STACK-NOTES.md: same 4-step order saga, PostgreSQL 15 defaults, N=2000, this kind of 2-core machine',
  dbosTransact53: { sagasPerSecondAt16: 63, p99Ms: 338, mixSagasPerSecondAt16: '53-56' },
  handRolledPg: { sagasPerSecondAt16: 470, p99Ms: 47, commitsPerSaga: 5, statementsPerSaga: 17 },
  bareNestCqrsInMemory: { sagasPerSecond: 44_000 },
};

/** One measured run: a database, a scenario, a concurrency. */
export interface RunRow {
  database: BenchDatabase;
  mode: 'in-process' | 'http';
  scenario: Scenario;
  concurrency: number;
  n: number;
  sagasPerSecond: number;
  wallMs: number;
  latencyMs: ReturnType<typeof latencySummary>;
  outcomes: Record<string, number>;
  outcomesAsExpected: boolean;
  errors?: string[];
  perSaga: {
    sqlStatements: number;
    wireStatements: number | null;
    commits: number;
    writeCommits: number;
    explicitCommits: number;
    pgXactCommits: number | null;
    statementsByKind: Record<string, number>;
  };
  backgroundStatements: number;
  nodeCpuMsPerSaga: number;
  /** The user-space part of nodeCpuMsPerSaga (the rest is the kernel's: socket reads and writes). */
  nodeUserCpuMsPerSaga: number;
  nodeProfile?: CpuLayers;
  pgBackendCpuMsPerSaga: number | null;
  cpuBoundCeiling: number | null;
  rssMb: number;
  peakRssMb: number;
  loadavg: number[];
  handRolled?: HandRolledRow & { pgBackendCpuMsPerSaga: number | null; nodeProfile?: CpuLayers };
  vsHandRolled?: number;
  dbos?: ExternalPeerRow;
  restate?: ExternalPeerRow;
  vsDbos?: number;
  vsRestate?: number;
}

/** Every target of the issues, as met or not by the rows of this run (ratios only between rows of this run). */
export function targets(rows: RunRow[]): Record<string, unknown>[] {
  const find = (db: BenchDatabase, scenario: Scenario, c: number): RunRow | undefined =>
    rows.find((r) => r.database === db && r.scenario === scenario && r.concurrency === c);
  const out: Record<string, unknown>[] = [];
  const pgHappy = find('postgres', 'happy', 16);
  const pgMix = find('postgres', 'mix', 16);
  const liteHappy = rows
    .filter((r) => r.database === 'pglite' && r.scenario === 'happy')
    .sort((a, b) => b.sagasPerSecond - a.sagasPerSecond)[0];
  const check = (name: string, measured: number | undefined, limit: number, atLeast: boolean, row?: RunRow): void => {
    if (measured === undefined) {
      out.push({ target: name, measured: null, met: null, note: 'not measured in this run' });
      return;
    }
    out.push({
      target: name,
      measured,
      limit,
      met: atLeast ? measured >= limit : measured <= limit,
      ratio: round(measured / limit, 2),
      ...(row ? { at: `${row.database} ${row.scenario} c=${row.concurrency}` } : {}),
    });
  };
  check('PostgreSQL happy path at 16 in flight: >= 300 sagas/s', pgHappy?.sagasPerSecond, 300, true, pgHappy);
  check('PostgreSQL happy path at 16 in flight: p99 < 100 ms', pgHappy?.latencyMs.p99, 100, false, pgHappy);
  check('PostgreSQL 20% compensation mix at 16: >= 200 sagas/s', pgMix?.sagasPerSecond, 200, true, pgMix);
  // Per-saga costs are judged at the concurrency where they are highest (1 in flight: no transitions share a
  // statement), not where batching flatters them.
  const worst = (key: 'commits' | 'sqlStatements'): RunRow | undefined =>
    rows.filter((r) => r.database === 'postgres' && r.scenario === 'happy').sort((a, b) => b.perSaga[key] - a.perSaga[key])[0];
  const mostCommits = worst('commits');
  const mostStatements = worst('sqlStatements');
  check(
    'PostgreSQL happy saga: <= 10 commits (all transactions, read-only included; the worst concurrency measured)',
    mostCommits?.perSaga.commits,
    10,
    false,
    mostCommits,
  );
  check(
    'PostgreSQL happy saga: <= 25 SQL statements (the worst concurrency measured)',
    mostStatements?.perSaga.sqlStatements,
    25,
    false,
    mostStatements,
  );
  check('PGlite happy path: >= 50 sagas/s (best concurrency)', liteHappy?.sagasPerSecond, 50, true, liteHappy);
  if (pgHappy) {
    out.push({
      target: 'vs DBOS Transact (63 sagas/s at 16)',
      ratio: round(pgHappy.sagasPerSecond / ANCHORS.dbosTransact53.sagasPerSecondAt16, 2),
    });
    out.push({
      target: 'vs hand-rolled pg (470 sagas/s at 16)',
      ratio: round(pgHappy.sagasPerSecond / ANCHORS.handRolledPg.sagasPerSecondAt16, 2),
    });
    if (pgHappy.vsHandRolled !== undefined) {
      const limit = round(300 / ANCHORS.handRolledPg.sagasPerSecondAt16, 2);
      out.push({
        target: `vs the hand-rolled peer measured right after it, at 16 (the anchors put 300 sagas/s at ${limit} of it)`,
        measured: pgHappy.vsHandRolled,
        limit,
        met: pgHappy.vsHandRolled >= limit,
        peerSagasPerSecond: pgHappy.handRolled?.sagasPerSecond,
      });
    }
  }
  // Issue 18: against the peers measured in this run, and the PGlite and compensation rates against this run's.
  const ratio = (name: string, measured: number | undefined, limit: number, row?: RunRow): void =>
    check(name, measured === undefined ? undefined : round(measured, 2), limit, true, row);
  const pgHappy64 = find('postgres', 'happy', 64);
  ratio('vs the hand-rolled peer at 16 in flight: >= 1.0', pgHappy?.vsHandRolled, 1, pgHappy);
  ratio('vs the hand-rolled peer at 64 in flight: >= 1.0', pgHappy64?.vsHandRolled, 1, pgHappy64);
  check('PostgreSQL happy path at 16 in flight: p99 <= 40 ms', pgHappy?.latencyMs.p99, 40, false, pgHappy);
  ratio(
    'PostgreSQL 20% compensation mix at 16: >= 0.9 of the happy rate',
    pgMix && pgHappy ? pgMix.sagasPerSecond / pgHappy.sagasPerSecond : undefined,
    0.9,
    pgMix,
  );
  ratio('vs DBOS Transact at 16 in flight: >= 3', pgHappy?.vsDbos, 3, pgHappy);
  ratio('vs Restate at 16 in flight: >= 3', pgHappy?.vsRestate, 3, pgHappy);
  const liteHappy16 = find('pglite', 'happy', 16);
  ratio(
    'PGlite happy path at 16: >= 0.6 of the PostgreSQL rate',
    liteHappy16 && pgHappy ? liteHappy16.sagasPerSecond / pgHappy.sagasPerSecond : undefined,
    0.6,
    liteHappy16,
  );
  return out;
}
