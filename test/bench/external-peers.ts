import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { latencySummary } from './load';
import { orderStatements } from './order-statements';

const run = promisify(execFile);
/** Their own package (with its lockfile), so the app's `npm ci` never installs them. */
const PEERS_DIR = join(process.cwd(), 'test', 'bench', 'peers');

export type ExternalPeer = 'dbos' | 'restate';

export interface ExternalPeerRow {
  peer: 'DBOS Transact 5.3.0 (DBOS.runStep per step)' | 'Restate 1.7.12 (single node, ctx.run per step)';
  concurrency: number;
  n: number;
  sagasPerSecond: number;
  latencyMs: ReturnType<typeof latencySummary>;
  nodeCpuMsPerSaga: number;
  /** restate-server's own CPU (utime + stime), per saga. */
  engineCpuMsPerSaga?: number;
  pgBackendCpuMsPerSaga: number;
}

interface PeerOutput {
  wallMs: number;
  latencies: number[];
  nodeCpuMs: number;
  engineCpuMs?: number;
  /** Of the bench database's backends, read by the peer itself while its pools are open. */
  pgBackendCpuMs: number;
}

const NAMES: Record<ExternalPeer, ExternalPeerRow['peer']> = {
  dbos: 'DBOS Transact 5.3.0 (DBOS.runStep per step)',
  restate: 'Restate 1.7.12 (single node, ctx.run per step)',
};

/** Whether the peers can run; with `install`, `npm ci` in their folder first (a minute, once). */
export function externalPeersReady(install: boolean): boolean {
  if (install && !existsSync(join(PEERS_DIR, 'node_modules'))) {
    process.stderr.write('[bench] installing the DBOS and Restate peers (npm ci in test/bench/peers)\n');
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: PEERS_DIR, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return existsSync(join(PEERS_DIR, 'node_modules', '@dbos-inc')) && existsSync(join(PEERS_DIR, 'node_modules', '@restatedev'));
}

const round = (x: number, d = 3): number => Math.round(x * 10 ** d) / 10 ** d;

/**
 * One peer, `n` sagas at `concurrency`, in a child process of its own (after as many unmeasured), on tables of
 * its own in the bench database.
 */
export async function runExternalPeer(
  peer: ExternalPeer,
  options: { url: string; n: number; concurrency: number; poolSize: number },
): Promise<ExternalPeerRow> {
  const input = { peer, url: options.url, n: options.n, concurrency: options.concurrency, poolSize: options.poolSize };
  const { stdout } = await run(
    process.execPath,
    [join(PEERS_DIR, 'run-peer.mjs'), JSON.stringify({ ...input, statements: orderStatements('peer') })],
    {
      cwd: PEERS_DIR,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const out = JSON.parse(stdout.trim().split('\n').at(-1) as string) as PeerOutput;
  return {
    peer: NAMES[peer],
    concurrency: options.concurrency,
    n: options.n,
    sagasPerSecond: round((options.n * 1000) / out.wallMs, 1),
    latencyMs: latencySummary(Float64Array.from(out.latencies)),
    nodeCpuMsPerSaga: round(out.nodeCpuMs / options.n),
    ...(out.engineCpuMs === undefined ? {} : { engineCpuMsPerSaga: round(out.engineCpuMs / options.n) }),
    pgBackendCpuMsPerSaga: round(out.pgBackendCpuMs / options.n),
  };
}

/** Both peers at one concurrency, and Sagaworks' rate against each (`vsDbos`, `vsRestate`). */
export async function externalPeerRows(
  sagasPerSecond: number,
  options: { url: string; n: number; concurrency: number; poolSize: number },
): Promise<{ dbos: ExternalPeerRow; restate: ExternalPeerRow; vsDbos: number; vsRestate: number }> {
  const dbos = await runExternalPeer('dbos', options);
  const restate = await runExternalPeer('restate', options);
  const ratios = { vsDbos: round(sagasPerSecond / dbos.sagasPerSecond, 2), vsRestate: round(sagasPerSecond / restate.sagasPerSecond, 2) };
  for (const row of [dbos, restate])
    process.stderr.write(`[bench] ${row.peer} c=${options.concurrency}: ${row.sagasPerSecond}/s p99 ${row.latencyMs.p99} ms\n`);
  process.stderr.write(`[bench] Sagaworks/DBOS = ${ratios.vsDbos}, Sagaworks/Restate = ${ratios.vsRestate}\n`);
  return { dbos, restate, ...ratios };
}
