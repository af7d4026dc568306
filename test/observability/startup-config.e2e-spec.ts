import { spawn } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { ensureAppBuilt } from '../support/app-process';

/** Runs the built app with `env` added and returns how it ended (it is killed after `timeoutMs`). */
async function runApp(env: Record<string, string>, timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const main = await ensureAppBuilt();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main], {
      env: { ...process.env, PGLITE_DATA_DIR: 'memory://', PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
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
