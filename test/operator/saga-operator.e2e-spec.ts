import type { Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Injectable, type INestApplication, Module } from '@nestjs/common';
import { CommandHandler, CqrsModule, EventBus, type ICommand, type ICommandHandler, type IEvent, Saga } from '@nestjs/cqrs';
import { ScheduleModule } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Observable } from 'rxjs';
import request from 'supertest';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { APP_OPTIONS, configureApp } from '../../src/http/configure-app';
import { defineSaga, SagaClock, SagaModule, SagaOrchestrator, sagaMigrations, SagaTimeoutJob, send } from 'sagaworks';
import { SagaInspectorModule } from 'sagaworks/inspector';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../support/test-database';
import { waitUntil } from '../support/wait-for';

const TOKEN = 'operator-test-token-0123456789';
const STEP_TIMEOUT_MS = 1_000;

type Forward = 'ok' | 'fail' | 'silent';
type Undo = 'ok' | 'silent';
const forward = new Map<string, Forward>();
const undo = new Map<string, Undo>();

class DoCommand implements ICommand {
  constructor(
    public readonly sagaId: string,
    public readonly step: string,
    public readonly key: string,
  ) {}
}
class UndoCommand implements ICommand {
  constructor(
    public readonly sagaId: string,
    public readonly step: string,
    public readonly key: string,
  ) {}
}
class ReserveDone implements IEvent {
  constructor(public readonly sagaId: string) {}
}
class ReserveUndone implements IEvent {
  constructor(public readonly sagaId: string) {}
}
class ChargeDone implements IEvent {
  constructor(public readonly sagaId: string) {}
}
class ChargeUndone implements IEvent {
  constructor(public readonly sagaId: string) {}
}
class ConfirmDone implements IEvent {
  constructor(public readonly sagaId: string) {}
}
class ConfirmFailed implements IEvent {
  constructor(
    public readonly sagaId: string,
    public readonly reason: string,
  ) {}
}

interface Data {
  key: string;
}

/** reserve -> charge -> confirm; confirm cannot be undone, its failure undoes charge then reserve. */
const operatorSaga = defineSaga<Data>({
  type: 'operator-test',
  steps: [
    {
      name: 'reserve',
      command: send(DoCommand, (c) => [c.sagaId, 'reserve', c.data.key]),
      completedBy: [ReserveDone],
      compensation: send(UndoCommand, (c) => [c.sagaId, 'reserve', c.data.key]),
      compensatedBy: [ReserveUndone],
    },
    {
      name: 'charge',
      command: send(DoCommand, (c) => [c.sagaId, 'charge', c.data.key]),
      completedBy: [ChargeDone],
      compensation: send(UndoCommand, (c) => [c.sagaId, 'charge', c.data.key]),
      compensatedBy: [ChargeUndone],
    },
    {
      name: 'confirm',
      command: send(DoCommand, (c) => [c.sagaId, 'confirm', c.data.key]),
      completedBy: [ConfirmDone],
      failedBy: [ConfirmFailed],
      nonCompensable: true,
    },
  ],
});

@CommandHandler(DoCommand)
class DoHandler implements ICommandHandler<DoCommand> {
  constructor(private readonly events: EventBus) {}
  execute({ sagaId, step, key }: DoCommand): Promise<void> {
    const b = forward.get(`${key}:${step}`) ?? 'ok';
    if (b === 'silent') return Promise.resolve();
    if (step === 'confirm') this.events.publish(b === 'fail' ? new ConfirmFailed(sagaId, 'confirmation refused') : new ConfirmDone(sagaId));
    else this.events.publish(step === 'reserve' ? new ReserveDone(sagaId) : new ChargeDone(sagaId));
    return Promise.resolve();
  }
}

@CommandHandler(UndoCommand)
class UndoHandler implements ICommandHandler<UndoCommand> {
  constructor(private readonly events: EventBus) {}
  execute({ sagaId, step, key }: UndoCommand): Promise<void> {
    if ((undo.get(`${key}:${step}`) ?? 'ok') !== 'silent')
      this.events.publish(step === 'reserve' ? new ReserveUndone(sagaId) : new ChargeUndone(sagaId));
    return Promise.resolve();
  }
}

@Injectable()
class OperatorTestSagas {
  constructor(private readonly sagas: SagaOrchestrator) {}
  @Saga()
  replies = (events$: Observable<IEvent>): Observable<ICommand> => events$.pipe(this.sagas.replies(operatorSaga));
}

@Module({ imports: [SagaModule.forFeature([operatorSaga])], providers: [DoHandler, UndoHandler, OperatorTestSagas] })
class OperatorTestFeature {}

/** A host app of the saga module with its own saga; the timeout job is driven by hand with the saga clock. */
async function startHost(db: TestDatabase, adminToken: string | undefined): Promise<INestApplication<Server>> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      CqrsModule.forRoot(),
      ScheduleModule.forRoot(),
      TypeOrmModule.forRootAsync({
        useFactory: async () => ({
          ...(await buildDataSourceOptions(db.target, { migrations: sagaMigrations, migrationsRun: true })),
          autoLoadEntities: true,
        }),
      }),
      SagaModule.forRoot({
        jobEnabled: false,
        defaultStepTimeoutMs: STEP_TIMEOUT_MS,
        retry: { maxAttempts: 1, backoffBaseMs: 0, backoffMaxMs: 0 },
        adminToken,
      }),
      SagaInspectorModule.forRoot(),
      OperatorTestFeature,
    ],
  }).compile();
  const app = moduleRef.createNestApplication<INestApplication<Server>>({ ...APP_OPTIONS, logger: false });
  configureApp(app);
  await app.init();
  return app;
}

interface SagaBody {
  id: string;
  status: string;
  version: number;
  steps: { name: string; status: string; compensationAttempts: number }[];
  history: { step?: string; from: string | null; to: string; reason?: string }[];
}

describe.each(databaseKinds())('operator actions over HTTP, on %s', (kind) => {
  let db: TestDatabase;
  let app: INestApplication<Server>;
  let sagas: SagaOrchestrator;
  let job: SagaTimeoutJob;
  let clock: SagaClock;
  const http = () => request(app.getHttpServer());
  const auth = { Authorization: `Bearer ${TOKEN}` };
  const load = async (id: string) => (await sagas.store.load(id))!;
  const statusOf = async (id: string) => (await load(id)).status;
  const start = (key: string) => sagas.start(operatorSaga, { correlationId: key, data: { key } });

  /** A saga whose `charge` compensation never answers and has used its only attempt: FAILED. */
  async function failedSaga(key: string): Promise<string> {
    forward.set(`${key}:confirm`, 'fail');
    undo.set(`${key}:charge`, 'silent');
    const s = await start(key);
    await waitUntil(async () => (await load(s.id)).steps[1].status === 'COMPENSATING');
    clock.advance(STEP_TIMEOUT_MS);
    await job.runOnce();
    await waitUntil(async () => (await statusOf(s.id)) === 'FAILED');
    return s.id;
  }

  /** A saga waiting on its `charge` step, which never answers. */
  async function runningSaga(key: string): Promise<string> {
    forward.set(`${key}:charge`, 'silent');
    const s = await start(key);
    await waitUntil(async () => (await load(s.id)).steps[1].status === 'EXECUTING');
    return s.id;
  }

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    app = await startHost(db, TOKEN);
    sagas = app.get(SagaOrchestrator);
    job = app.get(SagaTimeoutJob);
    clock = app.get(SagaClock);
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  beforeEach(() => {
    forward.clear();
    undo.clear();
  });

  it('refuses a missing token with 401, a wrong one with 403 (as the read guard does), and changes nothing', async () => {
    const id = await runningSaga('unauthorised');
    const before = (await load(id)).version;
    const none = await http().post(`/sagas/${id}/abort`).expect(401);
    expect(none.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    const wrong = await http().post(`/sagas/${id}/abort`).set('Authorization', `Bearer ${TOKEN}x`).expect(403);
    expect(wrong.body).toMatchObject({ statusCode: 403, error: 'Forbidden', message: 'the token is wrong: send the admin token' });
    await http()
      .post(`/sagas/${id}/abort`)
      .set('Authorization', `Bearer ${TOKEN.slice(0, -1)}`)
      .expect(403);
    await http().post(`/sagas/${id}/abort`).set('Authorization', TOKEN).expect(401);
    await http().post(`/sagas/${id}/steps/charge/skip`).send({}).expect(401); // the token is checked before the body
    await http().post(`/sagas/${id}/retry`).set('Authorization', 'Bearer ').expect(401);
    expect((await load(id)).version).toBe(before);
    expect((await load(id)).status).toBe('RUNNING');
  });

  it('answers 404 for an unknown saga and 400 for an id that is not a UUID', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    expect(((await http().post(`/sagas/${missing}/retry`).set(auth).expect(404)).body as { message: unknown }).message).toContain(missing);
    await http().post(`/sagas/${missing}/abort`).set(auth).expect(404);
    await http().post(`/sagas/${missing}/abort?dryRun=true`).set(auth).expect(404);
    await http().post(`/sagas/${missing}/steps/charge/skip`).set(auth).send({ reason: 'x' }).expect(404);
    await http().post('/sagas/not-a-uuid/retry').set(auth).expect(400);
  });

  it('previews an abort with dryRun=true and changes nothing', async () => {
    const id = await runningSaga('preview');
    const before = await load(id);
    const res = await http().post(`/sagas/${id}/abort?dryRun=true`).set(auth).expect(200);
    expect(res.body).toEqual({
      dryRun: true,
      applicable: true,
      sagaId: id,
      status: 'RUNNING',
      compensations: [
        { step: 'charge', command: 'UndoCommand' },
        { step: 'reserve', command: 'UndoCommand' },
      ],
    });
    const after = await load(id);
    expect(after.version).toBe(before.version);
    expect(after.steps).toEqual(before.steps);
    expect((await sagas.store.history(id)).length).toBe(before.historySeq);
  });

  it('aborts a running saga: it compensates what was done, and the history says who and why', async () => {
    const id = await runningSaga('abort');
    const res = await http()
      .post(`/sagas/${id}/abort`)
      .set(auth)
      .set('X-Operator', 'alice <b>ops</b>')
      .send({ reason: 'customer asked to cancel' })
      .expect(200);
    const body = res.body as SagaBody;
    expect(body.id).toBe(id);
    expect(['COMPENSATING', 'COMPENSATED']).toContain(body.status);
    await waitUntil(async () => (await statusOf(id)) === 'COMPENSATED');
    // the admin token grants reads too: with a token configured, GET /sagas needs one
    await http().get(`/sagas/${id}`).expect(401);
    const saga = (await http().get(`/sagas/${id}`).set(auth).expect(200)).body as SagaBody;
    expect(saga.steps.map((s) => s.status)).toEqual(['COMPENSATED', 'COMPENSATED', 'PENDING']);
    expect(saga.history.some((h) => h.reason === 'charge failed: aborted by alice bopsb: customer asked to cancel')).toBe(true);
    // a second abort does not apply any more
    const again = await http().post(`/sagas/${id}/abort`).set(auth).expect(409);
    expect((again.body as { message: unknown }).message).toContain('COMPENSATED');
    const plan = await http().post(`/sagas/${id}/abort?dryRun=true`).set(auth).expect(200);
    expect(plan.body).toMatchObject({ applicable: false, status: 'COMPENSATED', compensations: [] });
  });

  it('retries a FAILED saga: its stuck compensation runs again and the saga ends COMPENSATED', async () => {
    const id = await failedSaga('retry');
    expect((await load(id)).steps[1]).toMatchObject({ name: 'charge', status: 'COMPENSATING', compensationAttempts: 1 });
    undo.set('retry:charge', 'ok');
    const res = await http().post(`/sagas/${id}/retry`).set(auth).send({ reason: 'provider is back' }).expect(200);
    expect((res.body as SagaBody).history.some((h) => h.reason === 'retry by operator: provider is back')).toBe(true);
    await waitUntil(async () => (await statusOf(id)) === 'COMPENSATED');
    expect((await load(id)).steps.map((s) => s.status)).toEqual(['COMPENSATED', 'COMPENSATED', 'FAILED']);
  });

  it('answers 409 and changes nothing when an action does not apply', async () => {
    const id = await runningSaga('not-applicable');
    const before = (await load(id)).version;
    expect((await http().post(`/sagas/${id}/retry`).set(auth).expect(409)).body).toMatchObject({ statusCode: 409, error: 'Conflict' });
    await http().post(`/sagas/${id}/steps/charge/skip`).set(auth).send({ reason: 'nothing to skip' }).expect(409);
    expect((await load(id)).version).toBe(before);
  });

  it('skips a failed compensation only with a reason, records it, and compensates the steps before it', async () => {
    const id = await failedSaga('skip');
    const before = (await load(id)).version;
    const missing = await http().post(`/sagas/${id}/steps/charge/skip`).set(auth).send({}).expect(400);
    expect(JSON.stringify((missing.body as { message: unknown }).message)).toContain('reason');
    await http().post(`/sagas/${id}/steps/charge/skip`).set(auth).send({ reason: '   ' }).expect(400);
    await http().post(`/sagas/${id}/steps/nope/skip`).set(auth).send({ reason: 'typo' }).expect(404);
    expect((await load(id)).version).toBe(before);

    const res = await http()
      .post(`/sagas/${id}/steps/charge/skip`)
      .set(auth)
      .set('X-Operator', 'bob')
      .send({ reason: 'refunded by hand, ticket OPS-42' })
      .expect(200);
    expect((res.body as SagaBody).history).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ step: 'charge', to: 'COMPENSATED', reason: 'skipped by bob: refunded by hand, ticket OPS-42' }),
      ]),
    );
    await waitUntil(async () => (await statusOf(id)) === 'COMPENSATED');
    expect((await load(id)).steps.map((s) => s.status)).toEqual(['COMPENSATED', 'COMPENSATED', 'FAILED']);
  });
});

describe('operator actions without an admin token', () => {
  let db: TestDatabase;
  let app: INestApplication<Server>;

  beforeAll(async () => {
    db = await createTestDatabase('pglite');
    app = await startHost(db, undefined);
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('are disabled with a 403 that says how to enable them, whatever token is sent', async () => {
    forward.set('no-token:reserve', 'silent');
    const saga = await app.get(SagaOrchestrator).start(operatorSaga, { correlationId: 'no-token', data: { key: 'no-token' } });
    for (const path of [
      `/sagas/${saga.id}/retry`,
      `/sagas/${saga.id}/abort`,
      `/sagas/${saga.id}/abort?dryRun=true`,
      `/sagas/${saga.id}/steps/charge/skip`,
    ]) {
      const res = await request(app.getHttpServer()).post(path).set('Authorization', 'Bearer anything').send({ reason: 'x' }).expect(403);
      expect((res.body as { message: unknown }).message).toMatch(/^operator actions are disabled: set ADMIN_TOKEN/);
    }
    expect((await app.get(SagaOrchestrator).store.load(saga.id))?.version).toBe(saga.version);
  });
});
