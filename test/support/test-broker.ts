import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqplib from 'amqplib';

/**
 * The broker the cross-process suites use: `TEST_BROKER_URL` (a RabbitMQ). Registered only when it is set;
 * with `CI=true` a missing `TEST_BROKER_URL` is an error, so those suites can never be skipped silently.
 */
export function brokerUrls(): string[] {
  const url = process.env.TEST_BROKER_URL;
  if (url) return [url];
  if (process.env.CI === 'true') throw new Error('CI=true but TEST_BROKER_URL is unset: the broker suites must run in CI (see .ci/run)');
  return [];
}

/** A prefix of exchange and queue names no other run shares, and a way to delete what it made. */
export function brokerNamespace(url: string): { prefix: string; drop: (services: string[]) => Promise<void> } {
  const prefix = `sagaworks-t-${randomBytes(4).toString('hex')}`;
  return {
    prefix,
    drop: async (services) => {
      const connection = await amqplib.connect(url);
      connection.on('error', () => undefined);
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      for (const service of services) {
        await channel.deleteQueue(`${prefix}.${service}.commands`);
        await channel.deleteQueue(`${prefix}.${service}.events`);
      }
      await channel.deleteQueue(`${prefix}.dead-letters`);
      for (const exchange of ['commands', 'events', 'dead']) await channel.deleteExchange(`${prefix}.${exchange}`);
      await connection.close();
    },
  };
}

const LOCK_DIR = join(tmpdir(), 'sagaworks-test-broker.lock');

/**
 * How long a broker suite's set-up may take, waiting for the lock included: the suites holding it run one after
 * another (the longest, four processes under faults, holds it for about 80 s).
 */
export const BROKER_SETUP_TIMEOUT_MS = 600_000;

/**
 * Holds the broker for one suite at a time: the restart suite stops RabbitMQ, which must not cut the others
 * (Jest runs suites in parallel workers). A lock whose holder has died is taken over.
 */
export async function lockBroker(timeoutMs = BROKER_SETUP_TIMEOUT_MS - 30_000): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      writeFileSync(join(LOCK_DIR, 'pid'), String(process.pid));
      return () => rmSync(LOCK_DIR, { recursive: true, force: true });
    } catch {
      if (holderIsGone()) rmSync(LOCK_DIR, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`the broker lock ${LOCK_DIR} was held for ${timeoutMs} ms`);
      else await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

function holderIsGone(): boolean {
  try {
    process.kill(Number(readFileSync(join(LOCK_DIR, 'pid'), 'utf8')), 0);
    return false;
  } catch (error) {
    // No pid file yet (its holder is writing it), or a process that no longer exists.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
