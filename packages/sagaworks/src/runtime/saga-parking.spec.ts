import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type INestApplication, Module } from '@nestjs/common';
import { CommandHandler, EventBus, type ICommand, type ICommandHandler, type IEvent } from '@nestjs/cqrs';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource, Logger as TypeOrmLogger } from 'typeorm';
import { databaseKinds } from '../../../../test/support/test-database.js';
import { type SagaSpecHost, startSagaSpecHost } from '../spec-support/saga-spec-host.js';
import { waitUntil } from '../../../../test/support/wait-for.js';
import { defineSaga, send, SagaModule, SagaOrchestrator, SagaTimeoutJob } from '../index.js';

class Prepare implements ICommand {
  constructor(public readonly sagaId: string) {}
}
class Prepared implements IEvent {
  constructor(public readonly sagaId: string) {}
}

/** Prepare, then wait a day for an approval. */
const approvalSaga = defineSaga<object>({
  type: 'parked-approval',
  steps: [
    { name: 'prepare', command: send(Prepare, (c) => [c.sagaId]), completedBy: [Prepared], nonCompensable: true },
    { name: 'approval', wait: { signal: 'approval', timeoutMs: 86_400_000 } },
  ],
});

@CommandHandler(Prepare)
class PrepareHandler implements ICommandHandler<Prepare> {
  constructor(private readonly events: EventBus) {}
  execute(c: Prepare): Promise<void> {
    this.events.publish(new Prepared(c.sagaId));
    return Promise.resolve();
  }
}

@Module({ imports: [SagaModule.forFeature([approvalSaga])], providers: [PrepareHandler] })
class ApprovalModule {}

/** Every statement the app's TypeORM connection sends (TypeORM's own logger port). */
class StatementLog implements TypeOrmLogger {
  readonly statements: string[] = [];
  logQuery(query: string): void {
    this.statements.push(query);
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

const PARKED = 300;

describe.each(databaseKinds())('parked sagas cost nothing, on %s', (kind) => {
  let host: SagaSpecHost;
  let app: INestApplication;
  const log = new StatementLog();

  beforeAll(async () => {
    host = await startSagaSpecHost(kind, {
      saga: { jobEnabled: false, defaultStepTimeoutMs: 1_000, leaseMs: 2_000 },
      typeorm: { logging: ['query'], logger: log },
      imports: [ApprovalModule],
    });
    app = host.app;
  });

  afterAll(async () => {
    await host?.close();
  });

  it(`with ${PARKED} sagas waiting for a signal, a timeout-job pass sends one statement (its claim) and rewrites no row`, async () => {
    const sagas = app.get(SagaOrchestrator);
    await Promise.all(Array.from({ length: PARKED }, (_, i) => sagas.start(approvalSaga, { correlationId: `p-${i}`, data: {} })));
    const dataSource = app.get<DataSource>(getDataSourceToken());
    const waiting = async () =>
      (
        await dataSource.query<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM saga_instance WHERE current_step = 'approval' AND lease_owner IS NULL`,
        )
      )[0].n;
    await waitUntil(async () => (await waiting()) === PARKED);
    const [before] = await dataSource.query<{ v: number }[]>(`SELECT sum(version)::int AS v FROM saga_instance`);
    const job = app.get(SagaTimeoutJob);
    log.statements.length = 0;
    for (let i = 0; i < 3; i++) await job.runOnce();
    // Three passes: three claims of due rows (none is due), and nothing else: no renewal, no rewrite.
    expect(log.statements).toHaveLength(3);
    expect(log.statements.every((q) => q.includes('FOR UPDATE SKIP LOCKED'))).toBe(true);
    const [after] = await dataSource.query<{ v: number }[]>(`SELECT sum(version)::int AS v FROM saga_instance`);
    expect(after.v).toBe(before.v);
  });
});
