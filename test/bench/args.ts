import type { BenchDatabase } from './bench-app';

export interface BenchArgs {
  n: number;
  concurrency: number[];
  databases: BenchDatabase[];
  http: boolean;
  quick: boolean;
  scale: boolean;
  /** 300 GET /sagas?limit=100 at 50 in flight over 2,000 sagas, beside ready probes and orders (issue 14). */
  listLoad: boolean;
  /** The four services as four processes over RabbitMQ against the monolith as one, both built, over HTTP (issue 16). */
  split: boolean;
  heap: boolean;
  /** Sagas between the two heap measurements. */
  heapN: number;
  /** Sagas run (and not measured) before the first measurement on each database. */
  warmup: number;
  poolSize?: number;
  scenarios: ('happy' | 'mix')[];
  /** Run the hand-rolled pg peer after each PostgreSQL happy-path run (default true). */
  peer: boolean;
  /** Install the DBOS and Restate peers (test/bench/peers) if they are not yet; they run whenever installed. */
  installPeers: boolean;
  /** Sample the main thread during each measured run and report its time by layer (`nodeProfile`). */
  profile: boolean;
}

export const USAGE = `npm run -s bench -- [options] > result.json      (or: node dist/test/bench/bench.js [options])
  stdout: one JSON document (-s keeps npm's banner out of it); progress on stderr
  --n <N>                 sagas per run (default 2000; --quick: 100)
  --concurrency <list>    sagas in flight, comma separated (default 1,16,64)
  --db postgres|pglite|both   (default both; PostgreSQL from DATABASE_URL, else a fresh database on postgres://postgres@127.0.0.1:5432, dropped after)
  --scenario happy|mix|both   (default both; mix = 20% compensations; or a list run in its order, e.g. mix,happy)
  --http                  drive POST /orders over loopback instead of the command bus
  --no-peer               skip the peers (hand-rolled, DBOS, Restate) after each PostgreSQL happy-path run
  --peers                 install the DBOS and Restate peers first (npm ci in test/bench/peers); once installed
                          they run after the hand-rolled one
  --pool <size>           connections in the PostgreSQL pool (default DB_POOL_SIZE or 10)
  --warmup <N>            unmeasured sagas per database first (default 3000; --quick: 20)
  --quick                 small N for a CI smoke run
  --scale                 1,000,000 saga rows, 100 due: time SagaStore.claimDue, EXPLAIN its plan; 100,000 parked sagas: statements per job pass (no throughput runs)
  --list-load             2,000 sagas, 300 GET /sagas?limit=100 at 50 in flight: ready probes ok/total, list and POST /orders p50/p99
  --split                 the four services as four processes (four databases, RabbitMQ from BROKER_URL or
                          amqp://guest:guest@127.0.0.1:5672) vs the monolith as one, both built, over HTTP
                          (default --n 1000 --concurrency 16 --warmup 200)
  --heap [--heap-n <N>]   heap after GC before and after N sagas (default 10000); needs node --expose-gc
  --profile               sample the main thread during each measured run (and the hand-rolled peer's): its
                          time per saga by layer (pg driver, TypeORM, rxjs, Nest, sagaworks, handlers...) as
                          nodeProfile; sampling slows the run a little, so compare ratios from runs without it`;

function value(argv: string[], i: number, flag: string): string {
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`);
  return v;
}

function positiveInt(raw: string, flag: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer, got "${raw}"`);
  return n;
}

export function parseArgs(argv: string[]): BenchArgs {
  let n: number | undefined;
  let warmup: number | undefined;
  let concurrency: number[] | undefined;
  let databases: BenchDatabase[] = ['postgres', 'pglite'];
  let scenarios: BenchArgs['scenarios'] = ['happy', 'mix'];
  let poolSize: number | undefined;
  let heapN = 10_000;
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const take = (): string => {
      if (inline !== undefined) return inline;
      return value(argv, i++, flag);
    };
    switch (flag) {
      case '--n':
        n = positiveInt(take(), flag);
        break;
      case '--warmup':
        warmup = Number(take());
        if (!Number.isInteger(warmup) || warmup < 0) throw new Error(`--warmup must be an integer >= 0`);
        break;
      case '--concurrency':
        concurrency = take()
          .split(',')
          .map((c) => positiveInt(c.trim(), flag));
        break;
      case '--db': {
        const db = take();
        if (db === 'both') databases = ['postgres', 'pglite'];
        else if (db === 'postgres' || db === 'pglite') databases = [db];
        else throw new Error(`--db must be postgres, pglite or both, got "${db}"`);
        break;
      }
      case '--scenario': {
        const s = take();
        if (s === 'both') scenarios = ['happy', 'mix'];
        else {
          const list = s.split(',').map((x) => x.trim());
          if (list.some((x) => x !== 'happy' && x !== 'mix'))
            throw new Error(`--scenario must be happy, mix, both or a list such as mix,happy, got "${s}"`);
          scenarios = list as BenchArgs['scenarios'];
        }
        break;
      }
      case '--pool':
        poolSize = positiveInt(take(), flag);
        break;
      case '--heap-n':
        heapN = positiveInt(take(), flag);
        break;
      case '--http':
      case '--no-peer':
      case '--peers':
      case '--quick':
      case '--scale':
      case '--list-load':
      case '--split':
      case '--heap':
      case '--profile':
        flags.add(flag);
        break;
      case '--help':
      case '-h':
        throw new Error(USAGE);
      default:
        throw new Error(`unknown option ${arg}\n${USAGE}`);
    }
  }
  const quick = flags.has('--quick');
  // The split run starts five apps per concurrency: smaller defaults.
  const split = flags.has('--split');
  return {
    n: n ?? (quick ? 100 : split ? 1000 : 2000),
    warmup: warmup ?? (quick ? 20 : split ? 200 : 3000),
    concurrency: concurrency ?? (split ? [16] : [1, 16, 64]),
    databases,
    scenarios,
    http: flags.has('--http'),
    quick,
    scale: flags.has('--scale'),
    listLoad: flags.has('--list-load'),
    split,
    heap: flags.has('--heap'),
    peer: !flags.has('--no-peer'),
    installPeers: flags.has('--peers'),
    profile: flags.has('--profile'),
    heapN,
    poolSize,
  };
}
