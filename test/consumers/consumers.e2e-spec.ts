import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

/**
 * The consumer test: packs the library as `npm publish` would, installs the tarball into copies of the two
 * fixture apps under test/consumers/ (in a temporary directory, never inside the repo), and runs each app's own
 * build and tests against the installed package. See test/consumers/README.md.
 */

const ROOT = process.cwd();
const FIXTURES = join(ROOT, 'test', 'consumers');
const INSTALL_MS = 300_000;
const KEEP = process.env.SAGAWORKS_KEEP_CONSUMERS === '1';

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string; size: number }[];
}

interface Run {
  stdout: string;
  stderr: string;
}

/**
 * The environment of a child command: this run's, less what npm and Jest put in it for themselves (`npm_*`
 * from the root `npm test`, Jest's worker id, node options), so a fixture's npm and test runner start clean.
 */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) || key === 'JEST_WORKER_ID' || key === 'NODE_OPTIONS' || key === 'NODE_ENV') continue;
    env[key] = value;
  }
  return env;
}

const tail = (text: string, lines = 80) => text.split('\n').slice(-lines).join('\n');

/** Runs a command; rejects with its exit code, stdout and stderr (their ends) when it fails. */
function run(command: string, args: string[], cwd: string, timeoutMs = INSTALL_MS): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env: childEnv(), timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) return resolve({ stdout, stderr });
      const code = (error as { code?: unknown }).code;
      reject(
        new Error(
          `\`${command} ${args.join(' ')}\` in ${cwd} failed (exit ${String(code)}${error.killed ? ', killed on timeout' : ''})\n--- stdout\n${tail(stdout)}\n--- stderr\n${tail(stderr)}`,
        ),
      );
    });
  });
}

/** Every `node_modules/<name>/package.json` under an installed app, hoisted or nested. */
function copiesOf(appDir: string, name: string): string[] {
  const found: string[] = [];
  const visit = (nodeModules: string) => {
    if (existsSync(join(nodeModules, name, 'package.json'))) found.push(join(nodeModules, name));
    for (const entry of readdirSync(nodeModules, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const packages = entry.name.startsWith('@')
        ? readdirSync(join(nodeModules, entry.name)).map((p) => join(nodeModules, entry.name, p))
        : [join(nodeModules, entry.name)];
      for (const pkg of packages) {
        const nested = join(pkg, 'node_modules');
        if (existsSync(nested)) visit(nested);
      }
    }
  };
  visit(join(appDir, 'node_modules'));
  return found;
}

/** The files that package.json `exports` names (every condition of every subpath; patterns skipped). */
function exportTargets(exportsField: unknown): string[] {
  if (typeof exportsField === 'string') return exportsField.includes('*') ? [] : [exportsField.replace(/^\.\//, '')];
  if (exportsField && typeof exportsField === 'object') return Object.values(exportsField).flatMap(exportTargets);
  return [];
}

interface Fixture {
  name: string;
  /** Scripts of the app's package.json, run in order after the install. */
  scripts: string[];
  /** How a user's code of this kind loads every entry point of the package. */
  loadEveryEntryPoint: string[];
}

const ENTRY_POINTS = ['sagaworks', 'sagaworks/testing', 'sagaworks/pglite', 'sagaworks/inspector'];

const fixtures: Fixture[] = [
  {
    name: 'esm-vitest',
    scripts: ['build', 'typecheck', 'test'],
    loadEveryEntryPoint: ['--input-type=module', '-e', ENTRY_POINTS.map((p) => `await import('${p}');`).join(' ')],
  },
  {
    name: 'cjs-jest',
    scripts: ['build', 'typecheck', 'test', 'smoke'],
    loadEveryEntryPoint: ['-e', ENTRY_POINTS.map((p) => `require('${p}');`).join(' ')],
  },
];

describe('the sagaworks package, packed and installed as a user installs it', () => {
  let packDir: string;
  let pack: PackResult;
  let tarball: string;

  beforeAll(async () => {
    // `npm test` builds the library before Jest starts. Rebuilding here would empty dist/ under the suites that
    // run the built app as child processes at the same time, so build only when nothing is built yet.
    if (!existsSync(join(ROOT, 'packages', 'sagaworks', 'dist', 'cjs', 'index.js')))
      await run('npm', ['run', 'build', '-w', 'sagaworks'], ROOT);
    packDir = await mkdtemp(join(tmpdir(), 'sagaworks-pack-'));
    const { stdout } = await run('npm', ['pack', '-w', 'sagaworks', '--ignore-scripts', '--pack-destination', packDir, '--json'], ROOT);
    // A prepack script's own output may precede the JSON.
    const [result] = JSON.parse(stdout.slice(stdout.search(/^\[/m))) as PackResult[];
    pack = result;
    tarball = join(packDir, pack.filename);
    console.log(
      `sagaworks tarball ${pack.filename}: ${(pack.size / 1024).toFixed(1)} kB packed, ${(pack.unpackedSize / 1024).toFixed(1)} kB unpacked, ${pack.entryCount} files`,
    );
  }, INSTALL_MS);

  afterAll(async () => {
    if (packDir && !KEEP) await rm(packDir, { recursive: true, force: true });
  });

  it('when packed, it ships package.json, the ESM and CommonJS builds and their types, and no sources, specs or tsconfigs', async () => {
    const files = pack.files.map((f) => f.path);
    expect(existsSync(tarball)).toBe(true);
    expect(files).toEqual(expect.arrayContaining(['package.json', 'dist/esm/index.js', 'dist/cjs/index.js']));
    expect(files.filter((f) => f.endsWith('.d.ts')).length).toBeGreaterThan(0);
    // Every file that `exports` points a condition at is in the tarball.
    const manifest = JSON.parse(await readFile(join(ROOT, 'packages', 'sagaworks', 'package.json'), 'utf8')) as { exports?: unknown };
    const targets = exportTargets(manifest.exports);
    expect(targets.length).toBeGreaterThan(0);
    expect(targets.filter((t) => !files.includes(t))).toEqual([]);
    expect(files.filter((f) => /\.(c|m)?tsx?$/.test(f) && !/\.d\.(c|m)?ts$/.test(f))).toEqual([]);
    expect(files.filter((f) => f.startsWith('src/'))).toEqual([]);
    expect(files.filter((f) => /\.(e2e-)?spec\./.test(basename(f)))).toEqual([]);
    expect(files.filter((f) => basename(f).startsWith('tsconfig'))).toEqual([]);
  });

  describe.each(fixtures)('when installed into the $name fixture app', (fixture) => {
    let appDir: string;

    beforeAll(async () => {
      appDir = await mkdtemp(join(tmpdir(), `sagaworks-${fixture.name}-`));
      const source = join(FIXTURES, fixture.name);
      await cp(source, appDir, {
        recursive: true,
        filter: (path) => !/[\\/](node_modules|dist)([\\/]|$)|\.tgz$|\.tsbuildinfo$/.test(path.slice(source.length)),
      });
      const manifestPath = join(appDir, 'package.json');
      const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { dependencies: Record<string, string> };
      manifest.dependencies.sagaworks = `file:${tarball}`;
      await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
      // No lockfile: the tarball's integrity changes with every build.
      await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--no-package-lock'], appDir);
    }, INSTALL_MS);

    afterAll(async () => {
      if (!appDir) return;
      if (KEEP) console.log(`${fixture.name} kept in ${appDir}`);
      else await rm(appDir, { recursive: true, force: true });
    });

    it('it installs the tarball, and exactly one copy each of @nestjs/core and @nestjs/common', () => {
      expect(existsSync(join(appDir, 'node_modules', 'sagaworks', 'package.json'))).toBe(true);
      expect(copiesOf(appDir, '@nestjs/core')).toEqual([join(appDir, 'node_modules', '@nestjs', 'core')]);
      expect(copiesOf(appDir, '@nestjs/common')).toEqual([join(appDir, 'node_modules', '@nestjs', 'common')]);
    });

    it('it loads every entry point (sagaworks, /testing, /pglite, /inspector) from plain node', async () => {
      await run('node', fixture.loadEveryEntryPoint, appDir, 60_000);
    }, 60_000);

    it.each(fixture.scripts)(
      'it passes `npm run %s`',
      async (script) => {
        const { stdout, stderr } = await run('npm', ['run', script], appDir);
        if (script === 'test' || script === 'smoke')
          console.log(`${fixture.name}: npm run ${script}\n${tail(`${stdout}\n${stderr}`.trim(), 15)}`);
      },
      INSTALL_MS,
    );
  });
});
