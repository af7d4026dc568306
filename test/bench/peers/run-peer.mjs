// The bench's durable-execution peers, run as a child process of the bench with their own dependencies (this
// folder's package.json), so the app's `npm ci` never installs them. Each runs the same happy order saga as the
// hand-rolled peer, with the same domain statements (passed in by the bench), one durable step around each
// step's statement:
//   dbos:    DBOS Transact, a registered workflow, `DBOS.runStep` per step; its system tables in the bench database.
//   restate: Restate, single node with its defaults (it fsyncs its log), one service handler per saga,
//            `ctx.run` per step, invoked over its HTTP ingress.
// Input: one JSON argument { peer, url, n, concurrency, poolSize, statements }. Output: one JSON line on stdout.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';

// The Restate SDK wants Node 22; on Node 20 it needs this one function.
Promise.withResolvers ??= function withResolvers() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

const input = JSON.parse(process.argv[2]);
const { statements: sql } = input;
const pool = new pg.Pool({ connectionString: input.url, max: input.poolSize });
pool.on('error', () => undefined);

/** The five steps of one order saga, as the hand-rolled peer writes them; `step(name, fn)` makes each durable. */
async function orderSaga(i, step) {
  const orderId = crypto.randomUUID();
  const sku = `SKU-00${(i % 5) + 1}`;
  const total = await step('place', async () => (await pool.query(sql.place, [orderId, `peer-${i}`, sku])).rows[0].total_cents);
  await step('reserve', async () => {
    if ((await pool.query(sql.reserve, [sku])).rowCount !== 1) throw new Error(`out of stock: ${sku}`);
  });
  await step('charge', async () => void (await pool.query(sql.charge, [orderId, total])));
  await step('ship', async () => void (await pool.query(sql.ship, [orderId, `TRK-${i}`])));
  await step('confirm', async () => void (await pool.query(sql.confirm, [orderId])));
}

/** utime + stime of a process, in ms (0 once it is gone). */
function processCpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

/** The CPU of every server backend of the bench database now, by pid (the server runs on this machine). */
async function backendCpu() {
  const { rows } = await pool.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`);
  return new Map(rows.map((r) => [r.pid, processCpuMs(r.pid)]));
}

/** `n` sagas with at most `concurrency` in flight; the latencies, this process's CPU and the backends'. */
async function load(runOne) {
  const latencies = new Float64Array(input.n);
  let next = 0;
  const backends0 = await backendCpu();
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const worker = async () => {
    for (let i = next++; i < input.n; i = next++) {
      const t0 = performance.now();
      await runOne(i);
      latencies[i] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: input.concurrency }, worker));
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpu0);
  let pgBackendCpuMs = 0;
  for (const [pid, ms] of await backendCpu()) pgBackendCpuMs += ms - (backends0.get(pid) ?? 0);
  return { wallMs, latencies: [...latencies], nodeCpuMs: (cpu.user + cpu.system) / 1000, pgBackendCpuMs };
}

async function runDbos() {
  const { DBOS } = await import('@dbos-inc/dbos-sdk');
  DBOS.setConfig({ name: 'sagaworks-bench-peer', systemDatabaseUrl: input.url, logLevel: 'warn' });
  const workflow = DBOS.registerWorkflow((i) => orderSaga(i, (name, fn) => DBOS.runStep(fn, { name })), { name: 'orderSaga' });
  await DBOS.launch();
  try {
    await load((i) => workflow(1_000_000 + i)); // warm-up: as many as measured, unmeasured
    return await load((i) => workflow(i));
  } finally {
    await DBOS.shutdown();
  }
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });

async function runRestate() {
  // The SDK logs two lines per invocation by default.
  process.env.RESTATE_LOGGING ??= 'WARN';
  const restate = await import('@restatedev/restate-sdk');
  const [ingress, admin, fabric, endpointPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const service = restate.service({
    name: 'orderSaga',
    handlers: { run: (ctx, i) => orderSaga(i, (name, fn) => ctx.run(name, fn)) },
  });
  const { createServer: createHttp2Server } = await import('node:http2');
  const endpoint = createHttp2Server(restate.createEndpointHandler({ services: [service] }));
  await new Promise((resolve) => endpoint.listen(endpointPort, '127.0.0.1', resolve));
  const baseDir = mkdtempSync(join(tmpdir(), 'restate-peer-'));
  const binary = new URL('./node_modules/@restatedev/restate-server-linux-x64/bin/restate-server', import.meta.url).pathname;
  const server = spawn(
    binary,
    [
      '--no-logo',
      '--base-dir',
      baseDir,
      '--listen-mode',
      'tcp',
      '--bind-address',
      `127.0.0.1:${fabric}`,
      '--advertised-address',
      `http://127.0.0.1:${fabric}`,
    ],
    {
      env: {
        ...process.env,
        RESTATE_LOG_FILTER: 'warn',
        RESTATE_INGRESS__BIND_ADDRESS: `127.0.0.1:${ingress}`,
        RESTATE_ADMIN__BIND_ADDRESS: `127.0.0.1:${admin}`,
      },
      stdio: 'ignore',
    },
  );
  try {
    for (let tries = 0; ; tries++) {
      const ok = await fetch(`http://127.0.0.1:${admin}/deployments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ uri: `http://127.0.0.1:${endpointPort}` }),
      }).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (tries > 150) throw new Error('restate-server did not take the deployment within 30 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    const invoke = async (i) => {
      for (;;) {
        const res = await fetch(`http://127.0.0.1:${ingress}/orderSaga/run`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(i),
        });
        await res.arrayBuffer();
        if (res.ok) return;
        // The ingress may answer before the new deployment reached every partition.
        if (res.status !== 404 && res.status !== 503) throw new Error(`restate ingress answered ${res.status}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await load((i) => invoke(1_000_000 + i));
    const cpu0 = processCpuMs(server.pid);
    const result = await load(invoke);
    return { ...result, engineCpuMs: processCpuMs(server.pid) - cpu0 };
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    rmSync(baseDir, { recursive: true, force: true });
    endpoint.close();
  }
}

try {
  await pool.query(sql.schema);
  const result = input.peer === 'dbos' ? await runDbos() : await runRestate();
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await pool.query(sql.drop).catch(() => undefined);
  await pool.end();
}
process.exit(0);
