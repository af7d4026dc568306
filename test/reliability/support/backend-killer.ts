import pg from 'pg';
import { rng, sleep } from './orders';

export interface KillerReport {
  rounds: number;
  /** Backends terminated over all rounds (a round finds none while the pool is reconnecting). */
  terminated: number;
  /** Rounds that found at least one backend to terminate. */
  roundsThatHit: number;
  durationMs: number;
}

/**
 * Terminates the app's sessions on `database` (TypeORM names them `sagaworks`) every `minGapMs`-`maxGapMs`
 * (random, seeded) for `forMs`, as a flapping proxy or repeated failovers would. Its own session is spared, and so
 * are the test's (they carry another application name).
 */
export async function killBackendsRepeatedly(
  url: string,
  database: string,
  options: { forMs: number; minGapMs: number; maxGapMs: number; seed: number },
): Promise<KillerReport> {
  const killer = new pg.Client({ connectionString: url, application_name: 'chaos-backend-killer' });
  killer.on('error', () => undefined);
  await killer.connect();
  const random = rng(options.seed);
  const report: KillerReport = { rounds: 0, terminated: 0, roundsThatHit: 0, durationMs: 0 };
  const started = Date.now();
  try {
    while (Date.now() - started < options.forMs) {
      const { rows } = await killer.query<{ n: number }>(
        `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
         WHERE datname = $1 AND pid <> pg_backend_pid() AND application_name = 'sagaworks'`,
        [database],
      );
      report.rounds++;
      report.terminated += rows[0].n;
      if (rows[0].n > 0) report.roundsThatHit++;
      await sleep(options.minGapMs + random() * (options.maxGapMs - options.minGapMs));
    }
  } finally {
    report.durationMs = Date.now() - started;
    await killer.end().catch(() => undefined);
  }
  return report;
}
