import type { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { OutboxRow } from './saga-outbox.js';

export interface OutboxPollerOptions {
  dataSource: () => DataSource;
  /** Publishes rows and resolves once the broker has confirmed every one. */
  publish: (rows: OutboxRow[]) => Promise<void>;
  logger: Logger;
  /** Default 500 ms. */
  pollMs?: number;
  /** Rows younger than this are left to the publish right after their commit. Default 2 000 ms. */
  graceMs?: number;
  /** Inbox entries are kept this long (a broker redelivers within minutes, not days). Default 7 days. */
  inboxKeepMs?: number;
}

const BATCH = 200;
const PRUNE_EVERY_MS = 60_000;

/**
 * Publishes what the outbox still holds: the rows whose publish right after commit failed (the broker was
 * down) or never ran (the process died). Rows are taken with `FOR UPDATE SKIP LOCKED`, so several instances of
 * a service share the work without publishing a row twice at once; a row is deleted once the broker confirmed it.
 * A publish that fails leaves the rows for the next pass: an outage only delays events, it never loses them.
 */
export class OutboxPoller {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private lastPrune = 0;
  /** Rows the broker confirmed, waiting for the delete already under way to finish. */
  private readonly confirmed: string[] = [];
  private deleting?: Promise<void>;

  constructor(private readonly options: OutboxPollerOptions) {}

  start(): void {
    const every = this.options.pollMs ?? 500;
    this.timer = setInterval(() => {
      if (!this.running) this.running = this.pass().then(() => (this.running = undefined));
    }, every);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    await this.deleting;
  }

  /**
   * Publishes rows just committed and deletes them once confirmed; a failure leaves them to the poll. Deletes
   * are coalesced: rows confirmed while one runs go in the next, one statement (and one commit) for all of them.
   */
  async publishCommitted(rows: OutboxRow[]): Promise<void> {
    try {
      await this.options.publish(rows);
    } catch (error) {
      this.options.logger.warn(`${rows.length} event(s) stay in the outbox for now: ${(error as Error).message}`);
      return;
    }
    this.confirmed.push(...rows.map((r) => r.id));
    this.deleting ??= this.deleteConfirmed().finally(() => (this.deleting = undefined));
    await this.deleting;
  }

  private async deleteConfirmed(): Promise<void> {
    while (this.confirmed.length) {
      const ids = this.confirmed.splice(0);
      try {
        await this.options.dataSource().query(`DELETE FROM sagaworks_outbox WHERE id = ANY($1::uuid[])`, [ids]);
      } catch (error) {
        // Published but still stored: the poll publishes them again, and their receivers take each once.
        this.options.logger.warn(`${ids.length} published event(s) stay in the outbox for now: ${(error as Error).message}`);
      }
    }
  }

  /** One pass: publish what is left (in batches) and, now and then, forget old inbox entries. */
  async pass(): Promise<number> {
    let published = 0;
    try {
      for (;;) {
        const n = await this.batch();
        published += n;
        if (n < BATCH) break;
      }
      await this.prune();
    } catch (error) {
      this.options.logger.warn(`outbox relay pass failed, tried again in the next: ${(error as Error).message}`);
    }
    return published;
  }

  private async batch(): Promise<number> {
    const runner = this.options.dataSource().createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      const rows = (await runner.query(
        `SELECT id, type, body::text AS body, headers FROM sagaworks_outbox
         WHERE created_at < now() - make_interval(secs => $1::float8 / 1000)
         ORDER BY created_at LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`,
        [this.options.graceMs ?? 2_000],
      )) as OutboxRow[];
      if (rows.length) {
        await this.options.publish(rows);
        await runner.query(`DELETE FROM sagaworks_outbox WHERE id = ANY($1::uuid[])`, [rows.map((r) => r.id)]);
      }
      await runner.commitTransaction();
      return rows.length;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  private async prune(): Promise<void> {
    if (Date.now() - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = Date.now();
    await this.options
      .dataSource()
      .query(`DELETE FROM sagaworks_inbox WHERE received_at < now() - make_interval(secs => $1::float8 / 1000)`, [
        this.options.inboxKeepMs ?? 7 * 86_400_000,
      ]);
  }
}
