import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { EventBus, type IEvent } from '@nestjs/cqrs';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { SqlRunner } from '../../persistence/saga-store.js';
import { sqlRunnerFor } from '../../persistence/pool-sql-runner.js';
import { isTransientInfrastructureError } from '../../runtime/infrastructure-error.js';
import { waitOutInfrastructure } from '../../runtime/wait-out-infrastructure.js';
import type { MessageCodec } from '../message-codec.js';
import { currentMessage } from '../message-context.js';
import { SagaEventReceivers } from '../saga-event-receivers.js';
import { SagaHooks } from '../saga-hooks.js';

/** An event stored in the outbox, as the relay publishes it. */
export interface OutboxRow {
  id: string;
  type: string;
  /** The event's fields, as JSON text. */
  body: string;
  headers: Record<string, string>;
}

/** What carries a process's outbox to a broker (a transport adapter registers one). */
export interface OutboxRelay {
  /** How the events that leave are written. */
  readonly codec: MessageCodec;
  /** Whether another process takes this event; the others are published only in this one. */
  leaves(event: IEvent): boolean;
  /** These rows just committed: publish them now (what this misses, the relay's poll publishes later). */
  committed(rows: OutboxRow[]): void;
}

/** What a handler's write produced: the events to publish once it commits (none: `null` or `[]`). */
export type Produced = IEvent | readonly IEvent[] | null | undefined;

/**
 * An event put in the outbox by a statement of the caller's own (`SagaOutbox.prepare`): `outboxPutSql(n)` in
 * that statement, with `params` bound from `$n` on; once it committed, `SagaOutbox.committed` sends it off.
 */
export interface OutboxPut {
  readonly row: OutboxRow;
  readonly params: readonly unknown[];
}

/**
 * The SQL expression that stores an `OutboxPut` whose four params start at `$first`, and yields the row's id. Put
 * it where it is evaluated once per row written (a RETURNING list), so a statement that writes nothing stores
 * nothing. Needs the function of `messagingMigrations`.
 */
export function outboxPutSql(first: number): string {
  if (!Number.isInteger(first) || first < 1 || first > 96) throw new Error('outboxPutSql takes the number of its first parameter');
  return `sagaworks_outbox_put($${first}::uuid, $${first + 1}::text, $${first + 2}::jsonb, $${first + 3}::jsonb)`;
}

const INSERT_INBOX = `INSERT INTO sagaworks_inbox (message_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING message_id`;
const INSERT_OUTBOX = `INSERT INTO sagaworks_outbox (id, type, body, headers)
  SELECT * FROM unnest($1::uuid[], $2::text[], $3::jsonb[], $4::jsonb[])`;

/**
 * How a handler publishes the events its write produced, so that they leave if and only if the write commits.
 *
 * In one process (no broker), `work` runs on the DataSource as it is (a handler whose write is one statement
 * needs no transaction) and its events go on the event bus once it returns: the saga row is the outbox there,
 * and an event lost to a crash is produced again when the step is sent again.
 *
 * With a broker, `work` runs in a transaction that also stores its events in `sagaworks_outbox` and, when it
 * handles a received message, that message's id in `sagaworks_inbox`. A message seen before changes nothing:
 * the transaction stops at the inbox, and the events the first delivery produced are already in the outbox.
 */
@Injectable()
export class SagaOutbox implements OnApplicationShutdown {
  private relay?: OutboxRelay;
  private stopped = false;
  private resolvedDataSource?: DataSource;
  private directSql?: SqlRunner;
  private readonly logger = new Logger(SagaOutbox.name);

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly eventBus: EventBus,
    private readonly hooks: SagaHooks,
    private readonly receivers: SagaEventReceivers,
  ) {}

  /** Registers the relay of a broker transport; the function returned removes it. */
  useRelay(relay: OutboxRelay): () => void {
    this.relay = relay;
    return () => {
      if (this.relay === relay) this.relay = undefined;
    };
  }

  /** Whether events are stored in the outbox (a broker relays them) rather than published in process. */
  get durable(): boolean {
    return this.relay !== undefined;
  }

  /** Runs `work` and publishes the events it returns once its write has committed. */
  async publish(work: (sql: SqlRunner) => Promise<Produced>): Promise<void> {
    const relay = this.relay;
    if (!relay) return this.publishHere(listOf(await work(this.sql())));
    const message = currentMessage();
    const runner = this.dataSource().createQueryRunner();
    await runner.connect();
    let rows: OutboxRow[] = [];
    let events: IEvent[] = [];
    try {
      await runner.startTransaction();
      const fresh = message ? ((await runner.query(INSERT_INBOX, [message.id])) as unknown[]).length > 0 : true;
      if (fresh) {
        events = listOf(await work(runner.manager));
        rows = events
          .filter((e) => relay.leaves(e))
          .map((e) => toRow(relay.codec, e, { ...message?.headers, ...this.hooks.headersFor(e) }));
        if (rows.length)
          await runner.query(INSERT_OUTBOX, [
            rows.map((r) => r.id),
            rows.map((r) => r.type),
            rows.map((r) => r.body),
            rows.map((r) => JSON.stringify(r.headers)),
          ]);
      }
      await runner.commitTransaction();
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
    if (rows.length) relay.committed(rows);
    this.publishHere(events);
  }

  /**
   * An event to store with a statement of the caller's own (see `OutboxPut`), for a write that must be one
   * statement. Only with a broker: in one process there is no outbox, and the event is published as usual.
   */
  prepare(event: IEvent): OutboxPut {
    const relay = this.relay;
    if (!relay?.leaves(event)) throw new Error(`${event.constructor.name} does not leave this process: publish it instead`);
    const row = toRow(relay.codec, event, { ...currentMessage()?.headers, ...this.hooks.headersFor(event) });
    return { row, params: [row.id, row.type, row.body, JSON.stringify(row.headers)] };
  }

  /** The statement that stored these puts committed: relay them now (what this misses, the poll sends later). */
  committed(puts: readonly OutboxPut[]): void {
    if (puts.length) this.relay?.committed(puts.map((p) => p.row));
  }

  private publishHere(events: readonly IEvent[]): void {
    for (const event of events) {
      this.eventBus.publish(event);
      // No broker to redeliver it: an infrastructure fault is waited out here (receivers are idempotent, so
      // those that already took it take it again); any other failure is logged, as an event handler's is.
      if (this.receivers.receives(event))
        waitOutInfrastructure(() => this.receivers.deliver(event), {
          isTransient: isTransientInfrastructureError,
          stopped: () => this.stopped,
          onWait: (error, waitMs) =>
            this.logger.warn(
              `${event.constructor.name} waits on infrastructure, delivered again in ${waitMs} ms: ${(error as Error).message}`,
            ),
        }).catch((error: unknown) =>
          this.logger.error(`a receiver of ${event.constructor.name} failed: ${(error as Error)?.message ?? String(error)}`),
        );
    }
  }

  onApplicationShutdown(): void {
    this.stopped = true;
  }

  /** Single statements on the DataSource's pool (see `sqlRunnerFor`), resolved once. */
  private sql(): SqlRunner {
    this.directSql ??= sqlRunnerFor(this.dataSource());
    return this.directSql;
  }

  private dataSource(): DataSource {
    // Looked up once: a non-strict ModuleRef.get searches every module, and this runs on every handler's write.
    this.resolvedDataSource ??= this.moduleRef.get<DataSource>(getDataSourceToken(), { strict: false });
    return this.resolvedDataSource;
  }
}

function listOf(produced: Produced): IEvent[] {
  if (!produced) return [];
  return Array.isArray(produced) ? [...(produced as readonly IEvent[])] : [produced];
}

function toRow(codec: MessageCodec, event: IEvent, headers: Record<string, string>): OutboxRow {
  const { type, body } = codec.encode(event);
  return { id: randomUUID(), type, body: body.toString('utf8'), headers };
}
