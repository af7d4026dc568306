/**
 * `npm run bench`: the real app's saga path, measured. Prints ONE JSON document on stdout; everything else
 * (including any log line) goes to stderr. See `--help` and the README's Performance section.
 */
import 'reflect-metadata';
import { loadavg, cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs, USAGE, type BenchArgs } from './args';
import { startBenchApp, type BenchApp, type BenchDatabase } from './bench-app';
import { expectedOutcomes, latencySummary, runLoad, SagaEndWatcher } from './load';
import { externalPeerRows, externalPeersReady } from './external-peers';
import { HandRolledOrchestrator } from './hand-rolled';
import { backendCpuDelta, benchPostgres, type BenchPostgres, XactReader } from './pg-admin';
import { listLoadBench } from './list-load';
import { splitBench } from './split';
import { parkedPasses } from './parked';
import { BENCH_SCALE_TOTAL, captureClaimQuery, captureStoreQuery, explain, insertSyntheticSagas, SCALE_DUE } from './scale';
import type { SqlCounts } from './sql-counter';
import { ANCHORS, targets, type RunRow } from './bench-targets';
import { cpuLayers, type CpuProfile, profiled, saveProfile } from './cpu-layers';

// stdout carries the JSON document only.
for (const level of ['log', 'info', 'warn', 'debug'] as const) console[level] = console.error.bind(console);

const METHOD = {
  sagasPerSecond:
    'N / wall time from the first placement to the last SagaEndedEvent, with at most `concurrency` sagas in flight (each worker places one saga, waits for its end, places the next).',
  latency:
    'per saga: from just before PlaceOrderCommand is sent on the CommandBus (or POST /orders starts, with --http) to the SagaEndedEvent the runtime publishes right after storing the terminal transition; nearest-rank percentiles.',
  sqlStatements:
    "every QueryRunner.query() the app makes, counted in a hook on the DataSource's TypeORM logger (logQuery runs for every statement, START TRANSACTION and COMMIT included, on PostgreSQL and PGlite alike) / N. Each is one client-server round trip.",
  wireStatements:
    "PostgreSQL only: every query() call on the app pool's client class (a patch on its prototype; the bench's own connections excluded) / N; the cross-check that nothing bypasses TypeORM.",
  commits:
    'explicit COMMIT statements plus statements run outside an explicit transaction (each an implicit transaction that commits), tracked per TypeORM query runner / N. writeCommits counts only those that wrote (a transaction containing INSERT/UPDATE/DELETE, or such a statement on its own): the commits that flush WAL.',
  pgXactCommits:
    "PostgreSQL only: delta of pg_stat_database.xact_commit for the bench database (read from a connection to another database, so the reader is not counted), after asking every pool connection to publish its counters with pg_stat_force_next_flush(); minus those flush statements and the timeout job's statements; / N. Includes read-only transactions; autovacuum may add a few.",
  background:
    'the timeout job (SagaTimeoutJob: renewLeases + claimDue, once per SAGA_JOB_INTERVAL_MS) keeps running as in production; its statements are recognised by their SQL and reported apart as backgroundStatements, never in the per-saga figures.',
  cpu: 'nodeCpuMsPerSaga: process.cpuUsage() (user+system, all threads incl. PGlite) delta / N; nodeUserCpuMsPerSaga its user part. pgBackendCpuMsPerSaga: utime+stime from /proc/<pid>/stat of the server backends connected to the bench database (pg_stat_activity) / N.',
  nodeProfile:
    "--profile only: the V8 sampling profiler (200 us) on the main thread during the measured run; each sample's time goes to the layer of the nearest frame whose file is known (test/bench/cpu-layers.ts), per saga. socketWriteWall is wall time inside writev, which includes the time the kernel ran a woken backend instead of Node. The hand-rolled peer's row gets its own.",
  memory:
    'rssMb: process.memoryUsage().rss after the run; peakRssMb: process.resourceUsage().maxRSS so far (whole process, both databases, PGlite WASM memory included).',
  scenarios:
    'happy: tok_visa, 1 unit of one of SKU-001..005 (round robin). mix: the same with 20% compensations: i % 10 == 3 pays with tok_declined (release stock, cancel order), i % 10 == 8 ships to AQ (cancel shipment is not needed; refund, release, cancel).',
  handRolledPeer:
    "PostgreSQL, in-process, happy path only: right after each Sagaworks run, the same number of sagas at the same concurrency through test/bench/hand-rolled.ts, a hand-rolled orchestrator on bare pg (5 transactions per saga, no framework, no history), with its own pool of the same size, on the same database. vsHandRolled = Sagaworks rate / peer rate, measured back to back; the issue's anchors put 300 sagas/s at 300/470 = 0.64 of this peer. pgBackendCpuMsPerSaga covers every backend of the bench database, so the peer's includes the idle app's timeout job.",
  warmup:
    "each database first runs `warmup` unmeasured sagas (mix scenario, 16 in flight), and the hand-rolled peer as many of its own: JIT, pool connections, the backends' catalog caches. Node's CPU per saga keeps falling for the first few thousand sagas; after 200 or 1000 the first measured run still cost 10-20% more Node CPU per saga than the run after it, after 3000 (the default) the difference is within the noise.",
  cpuBoundCeiling:
    'PostgreSQL only: cores x 1000 / (nodeCpuMsPerSaga + pgBackendCpuMsPerSaga): the rate at which this process and its backends alone would saturate every core of an otherwise idle machine. An estimate for comparing runs on a shared machine (kernel time of the loopback is partly in those figures), not a measurement.',
};

/** `work`, sampled by the CPU profiler when `on`. */
async function maybeProfiled<T>(on: boolean, work: () => Promise<T>): Promise<{ result: T; profile?: CpuProfile }> {
  return on ? profiled(work) : { result: await work() };
}

const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;
const mb = (bytes: number): number => round(bytes / 1024 / 1024, 1);
const load = (): number[] => loadavg().map((x) => round(x));

function perSaga(counts: SqlCounts, n: number, pgXact: number | null): RunRow['perSaga'] {
  const per = (x: number): number => round(x / n, 3);
  return {
    sqlStatements: per(counts.statements),
    wireStatements: counts.wireStatements === null ? null : per(counts.wireStatements),
    commits: per(counts.explicitCommits + counts.implicitCommits),
    writeCommits: per(counts.writeCommits),
    explicitCommits: per(counts.explicitCommits),
    pgXactCommits: pgXact === null ? null : per(pgXact),
    statementsByKind: Object.fromEntries(
      Object.entries(counts.byKind)
        .sort(([, a], [, b]) => b - a)
        .map(([k, v]) => [k, per(v)]),
    ),
  };
}

async function gc(): Promise<void> {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error('--heap needs global.gc: run `nest build && node --expose-gc dist/test/bench/bench.js --heap`');
  for (let i = 0; i < 4; i++) {
    collect();
    await sleep(20);
  }
}

function cacheSize(app: BenchApp): number {
  // The runtime keeps its cache private; the bench only reads its size.
  return (app.orchestrator as unknown as { cache: { size: number } }).cache.size;
}

function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

async function throughput(app: BenchApp, database: BenchDatabase, pgTarget: BenchPostgres | null, args: BenchArgs): Promise<RunRow[]> {
  const reader = pgTarget ? await XactReader.open(pgTarget.url, pgTarget.database) : null;
  if (reader) app.counter.exclude(reader.pgClient);
  const watcher = new SagaEndWatcher(app.eventBus);
  const target = { commandBus: app.commandBus, baseUrl: app.baseUrl, watcher };
  const rows: RunRow[] = [];
  let offset = 0;
  const peer =
    pgTarget && args.peer && !app.baseUrl && args.scenarios.includes('happy')
      ? await HandRolledOrchestrator.open(pgTarget.url, app.config.dbPoolSize)
      : null;
  let peerOffset = 0;
  const externals = peer !== null && externalPeersReady(args.installPeers);
  if (peer && !externals) process.stderr.write('[bench] the DBOS and Restate peers are not installed: --peers installs them\n');
  try {
    if (args.warmup > 0) {
      await runLoad(target, args.warmup, 16, 'mix', offset);
      offset += args.warmup;
      if (peer) peerOffset += (await peer.load(args.warmup, 16, peerOffset)).n;
    }
    for (const scenario of args.scenarios) {
      for (const concurrency of args.concurrency) {
        await sleep(50);
        const flush = async (): Promise<number> => (reader && app.pool ? app.counter.uncounted(() => reader.flush(app.pool!)) : 0);
        await flush();
        const before = reader ? await reader.snapshot() : null;
        app.counter.take();
        const cpu0 = process.cpuUsage();
        const { result, profile } = await maybeProfiled(args.profile, () => runLoad(target, args.n, concurrency, scenario, offset));
        const cpu = process.cpuUsage(cpu0);
        const counts = app.counter.take();
        const expected = expectedOutcomes(args.n, scenario, offset);
        offset += args.n;
        const flushed = await flush();
        const after = reader ? await reader.snapshot() : null;
        const pgXact = before && after ? after.xactCommit - before.xactCommit - flushed - counts.backgroundStatements : null;
        const backendCpu = before && after ? backendCpuDelta(before, after) : null;
        const row: RunRow = {
          database,
          mode: app.baseUrl ? 'http' : 'in-process',
          scenario,
          concurrency,
          n: args.n,
          sagasPerSecond: round((args.n * 1000) / result.wallMs, 1),
          wallMs: round(result.wallMs, 1),
          latencyMs: latencySummary(result.latenciesMs),
          outcomes: result.outcomes,
          outcomesAsExpected: JSON.stringify(Object.entries(result.outcomes).sort()) === JSON.stringify(Object.entries(expected).sort()),
          ...(result.errors.length ? { errors: result.errors } : {}),
          perSaga: perSaga(counts, args.n, pgXact),
          backgroundStatements: counts.backgroundStatements,
          nodeCpuMsPerSaga: round((cpu.user + cpu.system) / 1000 / args.n, 3),
          nodeUserCpuMsPerSaga: round(cpu.user / 1000 / args.n, 3),
          ...(profile
            ? { nodeProfile: { ...cpuLayers(profile, args.n), file: saveProfile(profile, `${database}-${scenario}-c${concurrency}`) } }
            : {}),
          pgBackendCpuMsPerSaga: backendCpu === null ? null : round((backendCpu * 1000) / args.n, 3),
          cpuBoundCeiling:
            backendCpu === null
              ? null
              : round((cpus().length * 1000) / ((cpu.user + cpu.system) / 1000 / args.n + (backendCpu * 1000) / args.n), 0),
          rssMb: mb(process.memoryUsage().rss),
          peakRssMb: mb(process.resourceUsage().maxRSS * 1024),
          loadavg: load(),
        };
        if (peer && scenario === 'happy') {
          await sleep(50);
          const peerBefore = reader ? await reader.snapshot() : null;
          const { result: handRolled, profile: peerProfile } = await maybeProfiled(args.profile, () =>
            peer.load(args.n, concurrency, peerOffset),
          );
          peerOffset += args.n;
          const peerAfter = reader ? await reader.snapshot() : null;
          const peerBackendCpu = peerBefore && peerAfter ? backendCpuDelta(peerBefore, peerAfter) : null;
          row.handRolled = {
            ...handRolled,
            pgBackendCpuMsPerSaga: peerBackendCpu === null ? null : round((peerBackendCpu * 1000) / args.n, 3),
            ...(peerProfile
              ? { nodeProfile: { ...cpuLayers(peerProfile, args.n), file: saveProfile(peerProfile, `hand-rolled-c${concurrency}`) } }
              : {}),
          };
          row.vsHandRolled = round(row.sagasPerSecond / handRolled.sagasPerSecond, 2);
          process.stderr.write(
            `[bench] hand-rolled peer c=${concurrency}: ${handRolled.sagasPerSecond}/s p99 ${handRolled.latencyMs.p99} ms; Sagaworks/peer = ${row.vsHandRolled}\n`,
          );
          if (externals && pgTarget)
            Object.assign(
              row,
              await externalPeerRows(row.sagasPerSecond, { url: pgTarget.url, n: args.n, concurrency, poolSize: app.config.dbPoolSize }),
            );
        }
        rows.push(row);
        process.stderr.write(
          `[bench] ${database} ${row.mode} ${scenario} c=${concurrency}: ${row.sagasPerSecond}/s p50 ${row.latencyMs.p50} p99 ${row.latencyMs.p99} ms, ` +
            `${row.perSaga.sqlStatements} stmts, ${row.perSaga.commits} commits (${row.perSaga.writeCommits} writing, pg ${row.perSaga.pgXactCommits}) /saga, load ${row.loadavg[0]}\n`,
        );
      }
    }
  } finally {
    watcher.close();
    await reader?.close();
    await peer?.close();
  }
  return rows;
}

async function scale(app: BenchApp): Promise<Record<string, unknown>> {
  const batch = app.config.saga.jobBatchSize;
  const t0 = performance.now();
  await insertSyntheticSagas(app.dataSource, BENCH_SCALE_TOTAL, SCALE_DUE);
  const insertMs = performance.now() - t0;
  const now = new Date();
  const lease = { owner: 'bench-scale', until: new Date(now.getTime() + app.config.saga.leaseMs) };
  const claimQuery = await captureClaimQuery(now, batch, lease);
  // renewLeases runs at the start of every job pass too: its plan matters as much as the claim's.
  const renewQuery = await captureStoreQuery((store) => store.renewLeases(lease, new Date(now.getTime() + app.config.saga.leaseMs / 2)));
  const claimPlanBeforeAnalyze = await explain(app.dataSource, claimQuery);
  await app.dataSource.query('ANALYZE saga_instance');
  const claimPlan = await explain(app.dataSource, claimQuery);
  const renewPlan = await explain(app.dataSource, renewQuery);
  const passes: { claimed: number; ms: number }[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    const claimed = await app.orchestrator.store.claimDue(new Date(), batch, lease);
    passes.push({ claimed: claimed.length, ms: round(performance.now() - start) });
  }
  const renewPasses: number[] = [];
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    await app.orchestrator.store.renewLeases({ owner: 'nobody-holds-these', until: lease.until }, new Date(Date.now() + 60_000));
    renewPasses.push(round(performance.now() - start));
  }
  const ms = passes.map((p) => p.ms).sort((a, b) => a - b);
  const parked = await parkedPasses(app);
  return {
    parked,
    rows: BENCH_SCALE_TOTAL,
    due: SCALE_DUE,
    batchSize: batch,
    insertMs: round(insertMs, 0),
    claimDue: {
      passes,
      firstMs: passes[0].ms,
      medianMs: ms[Math.floor(ms.length / 2)],
      under20ms: passes.every((p) => p.ms < 20),
      allClaimedTheDue: passes.every((p) => p.claimed === Math.min(SCALE_DUE, batch)),
    },
    claimPlan: {
      nodeTypes: claimPlan.nodeTypes,
      scans: claimPlan.scans,
      indexScanOnWakeIdx: claimPlan.scans.some((s) => /^Index( Only)? Scan on saga_instance using saga_instance_wake_idx/.test(s)),
      seqScan: claimPlan.nodeTypes.includes('Seq Scan'),
    },
    claimPlanBeforeAnalyze: { nodeTypes: claimPlanBeforeAnalyze.nodeTypes, scans: claimPlanBeforeAnalyze.scans },
    renewLeases: { ms: renewPasses, plan: { nodeTypes: renewPlan.nodeTypes, scans: renewPlan.scans } },
    loadavg: load(),
  };
}

async function heap(app: BenchApp, args: BenchArgs): Promise<Record<string, unknown>> {
  const watcher = new SagaEndWatcher(app.eventBus);
  const target = { commandBus: app.commandBus, baseUrl: app.baseUrl, watcher };
  try {
    await runLoad(target, Math.max(args.warmup, 500), 16, 'mix', 0);
    await sleep(1_500);
    await gc();
    const before = {
      heapUsedBytes: process.memoryUsage().heapUsed,
      rssBytes: process.memoryUsage().rss,
      cacheSize: cacheSize(app),
      activeResources: activeResources(),
    };
    const result = await runLoad(target, args.heapN, 16, 'mix', 1_000_000);
    // Let a timeout-job pass and any trailing replies finish before measuring.
    await sleep(1_500);
    await gc();
    const after = {
      heapUsedBytes: process.memoryUsage().heapUsed,
      rssBytes: process.memoryUsage().rss,
      cacheSize: cacheSize(app),
      activeResources: activeResources(),
    };
    return {
      sagas: args.heapN,
      outcomes: result.outcomes,
      before,
      after,
      growthMb: round((after.heapUsedBytes - before.heapUsedBytes) / 1024 / 1024, 3),
      growthBytesPerSaga: round((after.heapUsedBytes - before.heapUsedBytes) / args.heapN, 1),
      rssMb: mb(process.memoryUsage().rss),
      // Issue 18: RSS flat, within 5%, over 100,000 sagas (`--heap --heap-n 100000`).
      rssGrowthPercent: round(((after.rssBytes - before.rssBytes) / before.rssBytes) * 100, 1),
      method:
        'heapUsed after 4x global.gc() (node --expose-gc), after a warm-up of max(warmup, 500) sagas and again after `sagas` more (mix scenario, 16 in flight) and a 1.5 s pause; plus the runtime cache size and process.getActiveResourcesInfo() (timers, sockets) at both points.',
    };
  } finally {
    watcher.close();
  }
}

async function main(): Promise<void> {
  let args: BenchArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit((error as Error).message === USAGE ? 0 : 2);
  }
  const mode = args.scale ? 'scale' : args.listLoad ? 'list-load' : args.heap ? 'heap' : args.split ? 'split' : 'throughput';
  const report: Record<string, unknown> = {
    benchmark: 'sagaworks order-fulfillment saga (reserve stock, charge, ship, confirm; compensations in reverse)',
    mode,
    startedAt: new Date().toISOString(),
    node: process.version,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, loadavgAtStart: load() },
    args: { ...args, driver: args.http ? 'POST /orders over loopback (fetch)' : 'PlaceOrderCommand on the CommandBus (in-process)' },
  };
  if (mode === 'throughput') Object.assign(report, { method: METHOD, anchors: ANCHORS });
  if (mode === 'split') {
    const split = await splitBench({ n: args.n, concurrency: args.concurrency, warmup: args.warmup });
    process.stdout.write(`${JSON.stringify({ ...report, split, loadavgAtEnd: load(), finishedAt: new Date().toISOString() }, null, 2)}\n`);
    return;
  }
  const results: RunRow[] = [];
  const perDatabase: Record<string, unknown> = {};
  const skipped: Record<string, string> = {};
  for (const database of args.databases) {
    let pgTarget: BenchPostgres | null = null;
    if (database === 'postgres') {
      const found = await benchPostgres();
      if ('unavailable' in found) {
        skipped.postgres = found.unavailable;
        continue;
      }
      pgTarget = found;
    }
    let app: BenchApp | null = null;
    try {
      app = await startBenchApp({
        database,
        url: pgTarget?.url,
        http: (args.http && mode === 'throughput') || mode === 'list-load',
        poolSize: args.poolSize,
        saga: mode === 'scale' ? { jobEnabled: false } : {},
      });
      process.stderr.write(
        `[bench] ${database}: app started (pool ${database === 'postgres' ? app.config.dbPoolSize : 'one PGlite session'})\n`,
      );
      if (mode === 'throughput') results.push(...(await throughput(app, database, pgTarget, args)));
      else if (mode === 'scale') perDatabase[database] = await scale(app);
      else if (mode === 'list-load') perDatabase[database] = await listLoadBench(app);
      else perDatabase[database] = await heap(app, args);
      if (pgTarget)
        perDatabase[`${database}Server`] = {
          database: pgTarget.database,
          createdByBench: pgTarget.created,
          poolSize: app.config.dbPoolSize,
        };
    } finally {
      await app?.close();
      await pgTarget?.drop();
    }
  }
  if (mode === 'throughput') Object.assign(report, { results, targets: targets(results) });
  Object.assign(report, perDatabase, Object.keys(skipped).length ? { skipped } : {}, {
    peakRssMb: mb(process.resourceUsage().maxRSS * 1024),
    loadavgAtEnd: load(),
    finishedAt: new Date().toISOString(),
  });
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
