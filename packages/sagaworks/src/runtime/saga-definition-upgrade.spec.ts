import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type INestApplication, Module } from '@nestjs/common';
import { CommandHandler, CqrsModule, EventBus, type ICommand, type ICommandHandler, type IEvent } from '@nestjs/cqrs';
import { ScheduleModule } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { buildDataSourceOptions, type DatabaseTarget } from '../../../../src/database/data-source-options.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../../../test/support/test-database.js';
import { waitUntil } from '../../../../test/support/wait-for.js';
import {
  defineSaga,
  type SagaDefinition,
  send,
  SagaModule,
  SagaOrchestrator,
  sagaMigrations,
  SagaRegistry,
  SagaSignals,
  SagaTimeoutJob,
} from '../index.js';

/*
 * Instances in flight under the step-list model (before waits and conditions) finish under the new one: rows
 * written by the running version of a definition are picked up by the next version of the app, which adds a
 * conditional wait between the steps, and they end as they would have.
 */

const answered = new Set<string>();
class Work implements ICommand {
  constructor(
    public readonly sagaId: string,
    public readonly step: string,
  ) {}
}
class Worked implements IEvent {
  constructor(
    public readonly sagaId: string,
    public readonly step: string,
  ) {}
}

const step = (name: string) => ({
  name,
  command: send(Work, (c: { sagaId: string }) => [c.sagaId, name]),
  completedBy: [Worked],
  compensation: send(Work, (c: { sagaId: string }) => [c.sagaId, `undo ${name}`]),
  compensatedBy: [Worked],
});

const v1 = defineSaga<{ amount: number }>({
  type: 'upgrade',
  steps: [step('reserve'), step('charge'), { ...step('ship'), compensation: undefined, compensatedBy: undefined, nonCompensable: true }],
});
const v2 = defineSaga<{ amount: number }>({
  type: 'upgrade',
  steps: [
    v1.steps[0],
    { name: 'review', when: (c) => c.data.amount >= 100, wait: { signal: 'review', timeoutMs: 60_000 } },
    v1.steps[1],
    v1.steps[2],
  ],
});

@CommandHandler(Work)
class WorkHandler implements ICommandHandler<Work> {
  constructor(private readonly events: EventBus) {}
  execute(c: Work): Promise<void> {
    // Only steps the test lets through answer: the others stay in flight when the old app stops.
    if (answered.has(c.step)) this.events.publish(new Worked(c.sagaId, c.step));
    return Promise.resolve();
  }
}

async function startApp(
  target: DatabaseTarget,
  definition: SagaDefinition<{ amount: number }>,
  instanceId: string,
): Promise<INestApplication> {
  @Module({ imports: [SagaModule.forFeature([definition])], providers: [WorkHandler] })
  class Feature {}
  const moduleRef = await Test.createTestingModule({
    imports: [
      CqrsModule.forRoot(),
      ScheduleModule.forRoot(),
      TypeOrmModule.forRootAsync({
        useFactory: async () => ({
          ...(await buildDataSourceOptions(target, { migrations: sagaMigrations, migrationsRun: true })),
          autoLoadEntities: true,
        }),
      }),
      SagaModule.forRoot({ jobEnabled: false, defaultStepTimeoutMs: 60_000, leaseMs: 1_000, instanceId }),
      Feature,
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

describe('definition hashes', () => {
  it('a definition without waits or conditions keeps the hash the step-list model gave it, so its rows are not taken for stale', async () => {
    // The step-list model's hash, as it was written.
    const shape = v1.steps.map((s) => ({
      name: s.name,
      command: s.command?.type.name ?? null,
      compensation: s.compensation?.type.name ?? null,
      nonCompensable: !!s.nonCompensable,
      completedBy: (s.completedBy ?? []).map((e) => e.name),
      failedBy: (s.failedBy ?? []).map((e) => e.name),
      compensatedBy: (s.compensatedBy ?? []).map((e) => e.name),
    }));
    const before = createHash('sha256')
      .update(JSON.stringify({ type: v1.type, shape }))
      .digest('hex')
      .slice(0, 16);
    const db = await createTestDatabase('pglite');
    const app = await startApp(db.target, v1, 'hash');
    try {
      expect(app.get(SagaRegistry).require('upgrade').hash).toBe(before);
    } finally {
      await app.close();
    }
  });
});

describe.each(databaseKinds())('a definition upgraded under sagas in flight, on %s', (kind) => {
  let db: TestDatabase;
  let target: DatabaseTarget;
  let dir: string | undefined;
  const ids: Record<string, string> = {};
  let app: INestApplication;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    // Two apps in turn on one database: PGlite needs a directory for that.
    dir = kind === 'pglite' ? mkdtempSync(join(tmpdir(), 'sagaworks-upgrade-')) : undefined;
    target = dir ? { ...db.target, pgliteDataDir: dir } : db.target;
    answered.clear();
    const old = await startApp(target, v1, 'old');
    const sagas = old.get(SagaOrchestrator);
    answered.add('reserve');
    ids.atCharge = (await sagas.start(v1, { correlationId: 'at-charge', data: { amount: 500 } })).id;
    await waitUntil(async () => (await sagas.store.load(ids.atCharge))?.steps[1].status === 'EXECUTING');
    ids.small = (await sagas.start(v1, { correlationId: 'small', data: { amount: 5 } })).id;
    await waitUntil(async () => (await sagas.store.load(ids.small))?.steps[1].status === 'EXECUTING');
    answered.delete('reserve');
    ids.atReserve = (await sagas.start(v1, { correlationId: 'at-reserve', data: { amount: 500 } })).id;
    await old.close();

    answered.add('reserve').add('charge').add('ship').add('undo reserve');
    app = await startApp(target, v2, 'new');
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the new app resumes the old rows (their leases lapse): past the new wait they finish as before; before it, they take it', async () => {
    const sagas = app.get(SagaOrchestrator);
    const job = app.get(SagaTimeoutJob);
    await new Promise((r) => setTimeout(r, 1_100));
    await job.runOnce();
    await waitUntil(async () => (await sagas.store.load(ids.atCharge))?.status === 'COMPLETED');
    await waitUntil(async () => (await sagas.store.load(ids.small))?.status === 'COMPLETED');
    const atCharge = (await sagas.store.load(ids.atCharge))!;
    // It had passed the place where the wait now is: the wait is not run behind it.
    expect(atCharge.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'reserve:COMPLETED',
      'review:PENDING',
      'charge:COMPLETED',
      'ship:COMPLETED',
    ]);
    // The one still at its first step meets the new wait, and its signal takes it on.
    await waitUntil(async () => (await sagas.store.load(ids.atReserve))?.steps[1].status === 'WAITING');
    expect((await app.get(SagaSignals).signal(ids.atReserve, 'review', {})).outcome).toBe('applied');
    await waitUntil(async () => (await sagas.store.load(ids.atReserve))?.status === 'COMPLETED');
  });
});
