import { type INestApplication, Module } from '@nestjs/common';
import { CommandHandler, CqrsModule, EventBus, type ICommand, type ICommandHandler, type IEvent } from '@nestjs/cqrs';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { buildDataSourceOptions } from '../../../../src/database/data-source-options.js';
import type { DatabaseKind, TestDatabase } from '../../../../test/support/test-database.js';
import { defineSaga, messagingMigrations, SagaModule, SagaOutbox, send } from '../index.js';
import { SagaTracingModule } from '../otel/index.js';
import { SagaRabbitMqModule } from '../rabbitmq/index.js';
import { type SagaSpecHost, startSagaSpecHost } from './saga-spec-host.js';

/*
 * Two Nest apps, each with its own database, joined only by a real RabbitMQ: a "transfers" app runs the saga, a
 * "bank" app handles its debits and credits. The bank's handlers write and publish through the outbox; nothing
 * of either app is mocked. Both import the tracing module (spans go nowhere unless a test registers a provider).
 */

export class DebitCommand implements ICommand {
  constructor(
    public readonly sagaId: string,
    public readonly account: string,
    public readonly amount: number,
  ) {}
}
export class CreditBackCommand implements ICommand {
  constructor(
    public readonly sagaId: string,
    public readonly account: string,
  ) {}
}
export class NotifyCommand implements ICommand {
  constructor(
    public readonly sagaId: string,
    public readonly account: string,
  ) {}
}
export class DebitedEvent implements IEvent {
  constructor(public readonly sagaId: string) {}
}
export class DebitRefusedEvent implements IEvent {
  constructor(
    public readonly sagaId: string,
    public readonly reason: string,
  ) {}
}
export class CreditedBackEvent implements IEvent {
  constructor(public readonly sagaId: string) {}
}
export class NotifiedEvent implements IEvent {
  constructor(public readonly sagaId: string) {}
}

export interface TransferData {
  account: string;
  amount: number;
}

export const transferSaga = defineSaga<TransferData>({
  type: 'bank-transfer',
  steps: [
    {
      name: 'debit',
      command: send(DebitCommand, (c) => [c.sagaId, c.data.account, c.data.amount]),
      completedBy: [DebitedEvent],
      failedBy: [DebitRefusedEvent],
      compensation: send(CreditBackCommand, (c) => [c.sagaId, c.data.account]),
      compensatedBy: [CreditedBackEvent],
    },
    {
      name: 'notify',
      command: send(NotifyCommand, (c) => [c.sagaId, c.data.account]),
      completedBy: [NotifiedEvent],
      nonCompensable: true,
    },
  ],
});

/** How the bank's debit behaves, by account. */
export const faultsLeft = new Map<string, number>();
/** Accounts whose notification fails (in the transfers app), so the debit is credited back. */
export const unreachable = new Set<string>();
/** Debit handler runs that ended (well or not). */
export const bankCounters = { debitsDone: 0 };

class CreateLedger1700000000000 implements MigrationInterface {
  name = 'CreateLedger1700000000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE bank_ledger (saga_id uuid, entry text, amount int, PRIMARY KEY (saga_id, entry))`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE bank_ledger`);
  }
}

@CommandHandler(DebitCommand)
class DebitHandler implements ICommandHandler<DebitCommand> {
  constructor(private readonly outbox: SagaOutbox) {}
  async execute(c: DebitCommand): Promise<void> {
    try {
      await this.debit(c);
    } finally {
      bankCounters.debitsDone++;
    }
  }

  private async debit(c: DebitCommand): Promise<void> {
    const left = faultsLeft.get(c.account) ?? 0;
    if (left > 0) {
      faultsLeft.set(c.account, left - 1);
      // What pg throws when the database ended the session: an infrastructure fault, waited out.
      throw Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    }
    if (c.account === 'broken') throw new Error('the ledger refuses this account');
    await this.outbox.publish(async (sql) => {
      if (c.amount > 100) return new DebitRefusedEvent(c.sagaId, 'insufficient funds');
      await sql.query(`INSERT INTO bank_ledger VALUES ($1, 'debit', $2) ON CONFLICT DO NOTHING`, [c.sagaId, c.amount]);
      return new DebitedEvent(c.sagaId);
    });
  }
}

@CommandHandler(CreditBackCommand)
class CreditBackHandler implements ICommandHandler<CreditBackCommand> {
  constructor(private readonly outbox: SagaOutbox) {}
  async execute(c: CreditBackCommand): Promise<void> {
    await this.outbox.publish(async (sql) => {
      await sql.query(
        `INSERT INTO bank_ledger SELECT saga_id, 'credit', -amount FROM bank_ledger WHERE saga_id = $1 AND entry = 'debit' ON CONFLICT DO NOTHING`,
        [c.sagaId],
      );
      return new CreditedBackEvent(c.sagaId);
    });
  }
}

@CommandHandler(NotifyCommand)
class NotifyHandler implements ICommandHandler<NotifyCommand> {
  constructor(private readonly events: EventBus) {}
  execute(c: NotifyCommand): Promise<void> {
    if (unreachable.has(c.account)) return Promise.reject(new Error('the customer cannot be notified'));
    this.events.publish(new NotifiedEvent(c.sagaId));
    return Promise.resolve();
  }
}

/** Each step's deadline; the bank answers in milliseconds, so only a bank that is down lets one pass. */
export const STEP_TIMEOUT_MS = 3_000;

const routing = (url: string, prefix: string) => ({
  url,
  prefix,
  commands: { bank: [DebitCommand, CreditBackCommand] },
  events: [DebitedEvent, DebitRefusedEvent, CreditedBackEvent],
  outboxPollMs: 100,
});

@Module({ imports: [SagaModule.forFeature([transferSaga])], providers: [NotifyHandler] })
class TransfersFeature {}

/** The transfers app: the saga runtime on its own database, the notify handler, and the bank's routing. */
export function startTransfers(kind: DatabaseKind, url: string, prefix: string): Promise<SagaSpecHost> {
  return startSagaSpecHost(kind, {
    saga: {
      jobEnabled: true,
      jobIntervalMs: 100,
      defaultStepTimeoutMs: STEP_TIMEOUT_MS,
      retry: { maxAttempts: 1, backoffBaseMs: 50, backoffMaxMs: 200 },
    },
    imports: [SagaRabbitMqModule.forRoot({ ...routing(url, prefix), service: 'transfers' }), SagaTracingModule, TransfersFeature],
  });
}

/** The bank: no saga runtime, its own database with the outbox and inbox, and the handlers of the bank's commands. */
export async function startBank(db: TestDatabase, url: string, prefix: string): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      CqrsModule.forRoot(),
      TypeOrmModule.forRootAsync({
        useFactory: async () =>
          buildDataSourceOptions(db.target, { migrations: [...messagingMigrations, CreateLedger1700000000000], migrationsRun: true }),
      }),
      SagaRabbitMqModule.forRoot({ ...routing(url, prefix), service: 'bank' }),
      SagaTracingModule,
    ],
    providers: [DebitHandler, CreditBackHandler],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}
