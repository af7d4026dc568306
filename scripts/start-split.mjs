// `npm run start:split`: the four services as four processes, each on a database of its own, joined by RabbitMQ,
// against a local PostgreSQL (SPLIT_PG_URL, an account allowed to CREATE DATABASE) and RabbitMQ (BROKER_URL).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const SERVICES = ['orders', 'inventory', 'payment', 'shipping'];
const root = fileURLToPath(new URL('..', import.meta.url));
const main = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
const adminUrl = process.env.SPLIT_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const brokerUrl = process.env.BROKER_URL || 'amqp://guest:guest@127.0.0.1:5672';
const basePort = Number(process.env.PORT || 3000);

function fail(message) {
  console.error(`[split] ${message}`);
  process.exit(1);
}

if (!existsSync(main)) fail('dist/src/main.js is missing: run `npm run build` first');
if (!Number.isInteger(basePort) || basePort < 1 || basePort > 65532)
  fail(`PORT must be an integer from 1 to 65532, got "${process.env.PORT}"`);

const dbName = (service) => `sagaworks_${service}`;
const dbUrl = (service) => {
  const url = new URL(adminUrl);
  url.pathname = `/${dbName(service)}`;
  return url.toString();
};

async function createDatabases() {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    for (const service of SERVICES) {
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName(service)]);
      if (rowCount > 0) continue;
      // 42P04 duplicate_database: another start:split created it between the check and here.
      await client.query(`CREATE DATABASE "${dbName(service)}"`).catch((error) => {
        if (error.code !== '42P04') throw error;
      });
    }
  } finally {
    await client.end();
  }
}

try {
  await createDatabases();
} catch (error) {
  fail(`cannot create the databases through SPLIT_PG_URL (${new URL(adminUrl).host}): ${error.message}`);
}

const children = new Map();
let stopping = false;
let exitCode = 0;

function stop() {
  if (stopping) {
    // A second Ctrl-C: the user no longer wants to wait for the sagas to drain.
    for (const child of children.values()) child.kill('SIGKILL');
    return;
  }
  stopping = true;
  for (const child of children.values()) child.kill('SIGTERM');
}

function pipeLines(stream, prefix, out) {
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => out.write(`${prefix} ${line}\n`));
}

const urls = SERVICES.map((service, offset) => `${service} http://localhost:${basePort + offset}`).join(', ');
console.log(`[split] starting ${urls} (orders serves /orders, /sagas, /ui, /docs; broker ${new URL(brokerUrl).host})`);

const width = Math.max(...SERVICES.map((s) => s.length)) + 2;
SERVICES.forEach((service, offset) => {
  const child = spawn(process.execPath, [main], {
    cwd: root,
    env: { ...process.env, SERVICES: service, DATABASE_URL: dbUrl(service), BROKER_URL: brokerUrl, PORT: String(basePort + offset) },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group: a Ctrl-C reaches the children once, as the SIGTERM sent below, not also from the terminal.
    detached: true,
  });
  const prefix = `[${service}]`.padEnd(width);
  pipeLines(child.stdout, prefix, process.stdout);
  pipeLines(child.stderr, prefix, process.stderr);
  children.set(service, child);
  // 'close', not 'exit': its last output lines are printed before the parent may exit.
  child.on('close', (code, signal) => {
    children.delete(service);
    if (!stopping) {
      console.error(`[split] ${service} exited unexpectedly (${signal ? `signal ${signal}` : `code ${code}`}); stopping the others`);
      exitCode = 1;
      stop();
    } else if (code !== 0) {
      exitCode = 1;
    }
    if (children.size === 0) process.exit(exitCode);
  });
});

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, stop);
// `npm run` starts this through `sh -c "… && node …"`: a SIGTERM to npm kills that shell, not this process, which
// is left orphaned with its children. A changed parent is the only sign of it.
const parent = process.ppid;
setInterval(() => {
  if (!stopping && process.ppid !== parent) stop();
}, 500).unref();
// Detached children would outlive a parent that dies of an uncaught error: take them along.
process.on('exit', () => {
  for (const child of children.values()) child.kill('SIGKILL');
});
