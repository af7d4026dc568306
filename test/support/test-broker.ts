import { randomBytes } from 'node:crypto';
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
