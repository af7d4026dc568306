import { spawn } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { ensureAppBuilt } from '../support/app-process';

/**
 * Runs the built app with `env` added and returns how it ended: it is killed after `timeoutMs`, or once its
 * output matches `until` and `whileUp` (given the output) has run.
 */
async function runApp(
  env: Record<string, string>,
  timeoutMs = 30_000,
  until?: RegExp,
  whileUp?: (stdout: string) => Promise<void>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const main = await ensureAppBuilt();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main], {
      env: { ...process.env, PGLITE_DATA_DIR: 'memory://', PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let stopping = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!until || stopping || !until.test(stdout)) return;
      stopping = true;
      void (whileUp ?? (() => Promise.resolve()))(stdout)
        .catch((error: unknown) => (stderr += `whileUp failed: ${String(error)}\n`))
        .finally(() => child.kill('SIGTERM'));
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('start-up with a bad configuration', () => {
  it.each([
    ['SAGA_MAX_ATTEMPTS', 'abc'],
    ['LOG_LEVEL', 'loud'],
  ])(
    '%s=%s stops the app with exit code 1 and one line naming the variable',
    async (name, value) => {
      const { code, stdout, stderr } = await runApp({ [name]: value });
      expect(code).toBe(1);
      expect(stderr.trim().split('\n')).toEqual([expect.stringContaining(name)]);
      expect(stderr).toMatch(/^Invalid configuration: /);
      expect(stdout).toBe('');
    },
    180_000,
  );
});

describe('start-up address', () => {
  const noTokens = { HOST: '', READ_TOKEN: '', ADMIN_TOKEN: '' };
  const LISTENING = /Sagaworks listening on http:\/\/([^:]+):(\d+)(.*)/;

  it('HOST=0.0.0.0 without a token stops the app with exit code 1 and one line saying why', async () => {
    const { code, stdout, stderr } = await runApp({ ...noTokens, HOST: '0.0.0.0' });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^Invalid configuration: HOST=0\.0\.0\.0 .*set READ_TOKEN or ADMIN_TOKEN/),
    ]);
    expect(stdout).toBe('');
  }, 180_000);

  it('without a token listens on 127.0.0.1 and says it is loopback only because no token is set', async () => {
    let health = 0;
    const { stdout } = await runApp({ ...noTokens, LOG_LEVEL: 'info', LOG_FORMAT: 'json' }, 60_000, LISTENING, async (out) => {
      const [, , port] = LISTENING.exec(out) ?? [];
      health = (await fetch(`http://127.0.0.1:${port}/health/live`)).status;
    });
    expect(LISTENING.exec(stdout)?.[1]).toBe('127.0.0.1');
    expect(LISTENING.exec(stdout)?.[3]).toMatch(/^, loopback only because no READ_TOKEN or ADMIN_TOKEN is set/);
    expect(health).toBe(200);
  }, 180_000);

  it('with a token listens on every interface by default', async () => {
    const { stdout } = await runApp({ ...noTokens, READ_TOKEN: 'a-read-token', LOG_LEVEL: 'info', LOG_FORMAT: 'json' }, 60_000, LISTENING);
    const [, host, , rest] = LISTENING.exec(stdout) ?? [];
    expect(host).toBe('0.0.0.0');
    expect(rest).not.toContain('loopback');
  }, 180_000);
});
