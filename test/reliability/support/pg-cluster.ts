import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../support/app-process';

const BIN = process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin';

/**
 * A throwaway PostgreSQL cluster owned by one test: its own data directory (under /tmp) and port, so the test
 * can stop and start "the database" under a running app without touching the shared server. PostgreSQL refuses
 * to run as root, so as root the binaries run as the `postgres` OS user.
 */
export interface Cluster {
  port: number;
  url(database?: string): string;
  start(): Promise<void>;
  /** `pg_ctl stop -m fast`: sessions are terminated, as in a failover or a restart by an operator. */
  stop(): Promise<void>;
  destroy(): Promise<void>;
}

function run(file: string, args: string[]): Promise<string> {
  const asRoot = userInfo().uid === 0;
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
  return new Promise((resolve, reject) => {
    execFile(cmd, argv, { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')} failed: ${error.message}\n${stdout}${stderr}`));
      else resolve(`${stdout}${stderr}`);
    });
  });
}

export function clusterAvailable(): boolean {
  return existsSync(join(BIN, 'initdb')) && existsSync(join(BIN, 'pg_ctl'));
}

export async function createCluster(): Promise<Cluster> {
  const dir = mkdtempSync('/tmp/sagaworks-pg-');
  if (userInfo().uid === 0) {
    const pw = await new Promise<string>((resolve, reject) =>
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- e is execFile's error, an Error at run time; its type (an Omit<> of ExecException) hides that from the rule
      execFile('id', ['-u', 'postgres'], (e, out) => (e ? reject(e) : resolve(out.trim()))),
    );
    chownSync(dir, Number(pw), Number(pw));
  }
  const data = join(dir, 'data');
  const port = await freePort();
  // Durability is not under test here (the cluster is stopped with -m fast, which checkpoints): skip the fsyncs.
  await run(join(BIN, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  let running = false;
  const cluster: Cluster = {
    port,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    start: async () => {
      await run(join(BIN, 'pg_ctl'), [
        '-D',
        data,
        '-l',
        join(dir, 'server.log'),
        '-w',
        '-t',
        '60',
        '-o',
        `-k /tmp -c listen_addresses=127.0.0.1 -p ${port} -c fsync=off -c max_connections=60`,
        'start',
      ]);
      running = true;
    },
    stop: async () => {
      await run(join(BIN, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
      running = false;
    },
    destroy: async () => {
      if (running) await run(join(BIN, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}

export async function createDatabase(cluster: Cluster, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: cluster.url() });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
}
