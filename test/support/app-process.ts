import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  createWriteStream,
  type WriteStream,
} from 'node:fs';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';

/**
 * The built app as a child process (`node <build>/src/main.js`), for the crash, multi-instance, outage and
 * shutdown suites: only a real process can be killed with -9, and only the compiled output is what ships.
 *
 * The build is the project's own (`tsconfig.build.json`, the config `nest build` compiles with), emitted to
 * `node_modules/.cache/sagaworks-app/<fingerprint of the sources>` rather than `dist/`: `nest build` empties
 * `dist/` first, so another build running at the same time (a benchmark, a developer) would delete the files
 * under a suite that is about to restart its app. A fingerprinted directory is never rewritten once complete,
 * so suites in parallel Jest workers share one build and an unchanged tree is not rebuilt between runs.
 */

const ROOT = process.cwd();
const CACHE = join(ROOT, 'node_modules', '.cache', 'sagaworks-app');
const BUILD_INPUTS = ['src', 'migrations', 'test/support', 'test/bench', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];
const STALE_LOCK_MS = 5 * 60_000;
const LOG_DIR = join(ROOT, 'test', 'artifacts', 'reliability');

function filesUnder(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => filesUnder(join(path, name)));
}

/** Hash of everything the build reads; spec files are excluded by tsconfig.build.json and so are here. */
function sourceFingerprint(): string {
  const hash = createHash('sha256');
  for (const input of BUILD_INPUTS) {
    for (const file of filesUnder(join(ROOT, input))) {
      if (/\.(e2e-)?spec\.ts$/.test(file)) continue;
      hash.update(relative(ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
    }
  }
  return hash.digest('hex').slice(0, 16);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

let built: Promise<string> | null = null;

/** Builds the app once per source tree (shared across Jest workers via a lock directory); returns main.js. */
export function ensureAppBuilt(): Promise<string> {
  built ??= buildOnce();
  return built;
}

async function buildOnce(): Promise<string> {
  mkdirSync(CACHE, { recursive: true });
  const fingerprint = sourceFingerprint();
  const dir = join(CACHE, fingerprint);
  const main = join(dir, 'src', 'main.js');
  const complete = join(dir, '.complete');
  const lock = `${dir}.lock`;
  const deadline = Date.now() + STALE_LOCK_MS;
  while (!existsSync(complete)) {
    try {
      mkdirSync(lock);
    } catch {
      // Another worker is building this fingerprint: wait for it, unless its lock is abandoned.
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > STALE_LOCK_MS) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`gave up waiting for the app build in ${dir}`);
      await sleep(250);
      continue;
    }
    try {
      if (!existsSync(complete)) await compile(dir);
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  pruneOldBuilds(fingerprint);
  return main;
}

async function compile(dir: string): Promise<void> {
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const started = Date.now();
  const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
    execFile(
      process.execPath,
      [
        join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
        '-p',
        'tsconfig.build.json',
        '--outDir',
        tmp,
        '--declaration',
        'false',
        '--incremental',
        'false',
      ],
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
  if (!existsSync(join(tmp, 'src', 'main.js'))) {
    throw new Error(`app build failed (tsc exit ${code}):\n${output.slice(0, 4000)}`);
  }
  if (code !== 0) {
    // tsc still emitted: a type error elsewhere in the tree (the typecheck step reports it) must not hide what
    // these suites find at run time.
    console.warn(`app build emitted with type errors (tsc exit ${code}):\n${output.slice(0, 2000)}`);
  }
  writeFileSync(join(tmp, '.complete'), `${new Date().toISOString()} ${Date.now() - started} ms\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
}

/** Builds older than an hour are no longer used by any running suite. */
function pruneOldBuilds(keep: string): void {
  for (const name of readdirSync(CACHE)) {
    if (name === keep || name.startsWith(`${keep}.`)) continue;
    const path = join(CACHE, name);
    try {
      if (Date.now() - statSync(path).mtimeMs > 60 * 60_000) rmSync(path, { recursive: true, force: true });
    } catch {
      // pruned concurrently by another worker
    }
  }
}

/** A port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface AppExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

export interface AppProcessOptions {
  /** Shown in logs and log file names. */
  name: string;
  /** Environment on top of the defaults (NO_COLOR, NODE_ENV); undefined removes a variable. */
  env: Record<string, string | undefined>;
  /** Port to listen on; a free one when absent. Reuse a dead instance's port to restart it "in place". */
  port?: number;
  readyTimeoutMs?: number;
}

export interface AppProcess {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** When spawn was called, and when the app first answered HTTP (ms since epoch). */
  readonly spawnedAt: number;
  readyAt: number;
  /** Settles when the process has exited. */
  readonly exited: Promise<AppExit>;
  alive(): boolean;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the time a line matching `pattern` was first seen (waiting for it if need be). */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<number>;
  /** Sends `signal` and resolves when the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<AppExit>;
}

let logDirReady = false;

/** Each app's output goes to test/artifacts/reliability/<name>-<pid>.log (gitignored); old runs' logs go away. */
function prepareLogDir(): void {
  if (logDirReady) return;
  logDirReady = true;
  mkdirSync(LOG_DIR, { recursive: true });
  for (const name of readdirSync(LOG_DIR)) {
    try {
      if (Date.now() - statSync(join(LOG_DIR, name)).mtimeMs > 6 * 60 * 60_000) rmSync(join(LOG_DIR, name), { force: true });
    } catch {
      // removed by a parallel worker
    }
  }
}

const running = new Set<AppProcess>();
let exitHookInstalled = false;

/** Starts the built app and resolves once it answers HTTP (any status: /health may well say the DB is down). */
export async function startAppProcess(options: AppProcessOptions): Promise<AppProcess> {
  const main = await ensureAppBuilt();
  const port = options.port ?? (await freePort());
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Last resort if a suite dies without its afterAll: never leave an app running behind the test run.
    process.on('exit', () => {
      for (const p of running) if (p.alive()) p.child.kill('SIGKILL');
    });
  }
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({
    ...process.env,
    NO_COLOR: '1',
    FORCE_COLOR: '0',
    NODE_ENV: 'test',
    ...options.env,
    PORT: String(port),
  })) {
    if (v !== undefined) env[k] = v;
  }
  prepareLogDir();
  const child = spawn(process.execPath, [main], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const spawnedAt = Date.now();
  const log: WriteStream = createWriteStream(join(LOG_DIR, `${options.name}-${child.pid}.log`));
  let text = '';
  const watchers = new Set<{ pattern: RegExp; resolve: (t: number) => void }>();
  const onData = (chunk: Buffer) => {
    const s = chunk.toString();
    text += s;
    log.write(s);
    // A line may arrive split across chunks: match against the recent tail, not the chunk alone.
    const tail = text.slice(-(s.length + 500));
    for (const w of watchers) {
      if (w.pattern.test(tail)) {
        watchers.delete(w);
        w.resolve(Date.now());
      }
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let exitInfo: AppExit | null = null;
  const exited = new Promise<AppExit>((resolve) => {
    child.on('exit', (code, signal) => {
      exitInfo = { code, signal, at: Date.now() };
      running.delete(proc);
      log.end();
      resolve(exitInfo);
    });
  });
  const proc: AppProcess = {
    name: options.name,
    port,
    url: `http://127.0.0.1:${port}`,
    pid: child.pid ?? -1,
    child,
    spawnedAt,
    readyAt: 0,
    exited,
    alive: () => exitInfo === null,
    output: () => text,
    waitForOutput: (pattern, timeoutMs) =>
      new Promise<number>((resolve, reject) => {
        if (pattern.test(text)) return resolve(Date.now());
        const timer = setTimeout(() => {
          watchers.delete(watcher);
          reject(new Error(`${options.name}: no output matching ${pattern} within ${timeoutMs} ms`));
        }, timeoutMs);
        const watcher = {
          pattern,
          resolve: (t: number) => {
            clearTimeout(timer);
            resolve(t);
          },
        };
        watchers.add(watcher);
      }),
    kill: async (signal = 'SIGKILL') => {
      if (exitInfo) return exitInfo;
      child.kill(signal);
      return exited;
    },
  };
  running.add(proc);
  const readyDeadline = spawnedAt + (options.readyTimeoutMs ?? 60_000);
  while (Date.now() < readyDeadline) {
    if (exitInfo) throw new Error(`${options.name} exited during start-up (${JSON.stringify(exitInfo)}):\n${text.slice(-4000)}`);
    try {
      const res = await fetch(`${proc.url}/health`, { signal: AbortSignal.timeout(2_000) });
      proc.readyAt = Date.now();
      await res.arrayBuffer();
      return proc;
    } catch {
      await sleep(50);
    }
  }
  child.kill('SIGKILL');
  throw new Error(`${options.name} did not answer HTTP within ${options.readyTimeoutMs ?? 60_000} ms:\n${text.slice(-4000)}`);
}

/** SIGKILLs every app this worker started that is still running (call from afterAll, failure or not). */
export async function killAllAppProcesses(): Promise<void> {
  await Promise.all([...running].map((p) => p.kill('SIGKILL')));
}
