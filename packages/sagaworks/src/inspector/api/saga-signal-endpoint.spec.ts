import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import { type INestApplication, Module } from '@nestjs/common';
import { CommandHandler, CqrsModule, EventBus, type ICommand, type ICommandHandler, type IEvent } from '@nestjs/cqrs';
import { ScheduleModule } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import request from 'supertest';
import { waitUntil } from '../../../../../test/support/wait-for.js';
import { defineSaga, send, SagaClock, SagaModule, SagaOrchestrator, SagaTimeoutJob } from '../../index.js';
import { sagaMigrations } from '../../persistence/migrations/index.js';
import { createPgliteOptions } from '../../pglite/pglite-options.js';
import { SagaInspectorModule } from '../saga-inspector.module.js';

const HOUR = 3_600_000;
const ADMIN = 'signal-admin-token';
const ledger: string[] = [];
const silent = new Set<string>();

class MoveMoney implements ICommand {
  constructor(
    public readonly sagaId: string,
    public readonly what: 'debit' | 'credit' | 'credit back',
    public readonly account: string,
  ) {}
}
class AccountChanged implements IEvent {
  constructor(
    public readonly sagaId: string,
    public readonly what: string,
  ) {}
}

interface Transfer {
  from: string;
  to: string;
  approvedBy?: string;
}

/** The inspector's payload convention: `{ decision, reason, by }`. */
const transferSaga = defineSaga<Transfer>({
  type: 'signal-transfer',
  steps: [
    {
      name: 'debit',
      command: send(MoveMoney, (c) => [c.sagaId, 'debit' as const, c.data.from]),
      completedBy: [AccountChanged],
      compensation: send(MoveMoney, (c) => [c.sagaId, 'credit back' as const, c.data.from]),
      compensatedBy: [AccountChanged],
    },
    {
      name: 'approval',
      wait: {
        signal: 'approval',
        timeoutMs: 48 * HOUR,
        decide: (p, data) => {
          const { decision, by, reason } = p as { decision?: string; by: string; reason?: string };
          return decision === 'approve'
            ? { outcome: 'complete', data: { ...data, approvedBy: by } }
            : { outcome: 'fail', reason: `rejected by ${by}${reason ? `: ${reason}` : ''}` };
        },
      },
    },
    {
      name: 'credit',
      command: send(MoveMoney, (c) => [c.sagaId, 'credit' as const, c.data.to]),
      completedBy: [AccountChanged],
      nonCompensable: true,
    },
  ],
});

@CommandHandler(MoveMoney)
class MoveMoneyHandler implements ICommandHandler<MoveMoney> {
  constructor(private readonly events: EventBus) {}
  execute(c: MoveMoney): Promise<void> {
    ledger.push(`${c.what} ${c.account}`);
    if (!silent.has(`${c.account}:${c.what}`)) this.events.publish(new AccountChanged(c.sagaId, c.what));
    return Promise.resolve();
  }
}

@Module({ imports: [SagaModule.forFeature([transferSaga])], providers: [MoveMoneyHandler] })
class TransferModule {}

describe('POST /sagas/:id/signals/:name, and the waiting views', () => {
  let app: INestApplication<Server>;
  let sagas: SagaOrchestrator;
  const http = () => request(app.getHttpServer());
  const admin = (path: string) => http().post(path).set('Authorization', `Bearer ${ADMIN}`);
  const load = async (id: string) => (await sagas.store.load(id))!;
  const start = (key: string) => sagas.start(transferSaga, { correlationId: key, data: { from: `${key}-a`, to: `${key}-b` } });
  const waiting = async (key: string) => {
    const s = await start(key);
    await waitUntil(async () => (await load(s.id)).steps[1].status === 'WAITING');
    return s.id;
  };

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        CqrsModule.forRoot(),
        ScheduleModule.forRoot(),
        TypeOrmModule.forRootAsync({
          useFactory: async () => ({
            ...(await createPgliteOptions('memory://')),
            migrations: sagaMigrations,
            migrationsRun: true,
            autoLoadEntities: true,
          }),
        }),
        SagaModule.forRoot({ jobEnabled: false, adminToken: ADMIN }),
        SagaInspectorModule.forRoot({ ui: false }),
        TransferModule,
      ],
    }).compile();
    app = moduleRef.createNestApplication<INestApplication<Server>>({ logger: false });
    await app.init();
    sagas = app.get(SagaOrchestrator);
  });

  afterAll(async () => {
    await app?.close();
  });

  beforeEach(() => {
    ledger.length = 0;
    silent.clear();
  });

  it('while it waits, GET /sagas/:id shows the step WAITING with its deadline, and ?waiting=true lists it alone', async () => {
    const id = await waiting('w1');
    const done = (await sagas.start(transferSaga, { correlationId: 'w1-other', data: { from: 'x', to: 'y' } })).id;
    await admin(`/sagas/${done}/signals/approval`)
      .send({ payload: { decision: 'approve' } })
      .expect(202);
    await waitUntil(async () => (await load(done)).status === 'COMPLETED');

    const view = (await http().get(`/sagas/${id}`).set('Authorization', `Bearer ${ADMIN}`).expect(200)).body as {
      currentStep: string;
      steps: { name: string; status: string; waitDeadline?: string }[];
    };
    expect(view.currentStep).toBe('approval');
    expect(view.steps[1]).toMatchObject({ status: 'WAITING', waitDeadline: (await load(id)).steps[1].waitDeadline });
    expect(new Date(view.steps[1].waitDeadline!).getTime()).toBeGreaterThan(Date.now() + 47 * HOUR);

    const list = (await http().get('/sagas?waiting=true').set('Authorization', `Bearer ${ADMIN}`).expect(200)).body as {
      items: { id: string }[];
    };
    expect(list.items.map((s) => s.id)).toContain(id);
    expect(list.items.map((s) => s.id)).not.toContain(done);
    await http().get('/sagas?waiting=yes').set('Authorization', `Bearer ${ADMIN}`).expect(400);
    await admin(`/sagas/${id}/signals/approval`)
      .send({ payload: { decision: 'reject' } })
      .expect(202);
  });

  it('applied: 202, the wait ends and the decision sees who acted (X-Operator)', async () => {
    const id = await waiting('w2');
    const res = await admin(`/sagas/${id}/signals/approval`)
      .set('X-Operator', 'alice <b>')
      .send({ payload: { decision: 'approve', reason: 'known customer' } })
      .expect(202);
    expect(res.body).toEqual({ outcome: 'applied', reason: 'signal "approval" applied', sagaId: id });
    await waitUntil(async () => (await load(id)).status === 'COMPLETED');
    expect((await load(id)).data).toMatchObject({ approvedBy: 'alice b' });
    expect((await load(id)).steps[1]).toMatchObject({ status: 'COMPLETED', signalled: true });
    expect(ledger).toEqual(['debit w2-a', 'credit w2-b']);
  });

  it('a payload that names `by` keeps it; a rejection compensates with the reason', async () => {
    const id = await waiting('w3');
    await admin(`/sagas/${id}/signals/approval`)
      .send({ payload: { decision: 'reject', reason: 'stolen card', by: 'fraud-desk' } })
      .expect(202);
    await waitUntil(async () => (await load(id)).status === 'COMPENSATED');
    expect((await load(id)).failureReason).toBe('approval failed: rejected by fraud-desk: stolen card');
  });

  it('kept: 202 for a signal sent before the saga reaches its wait, consumed when it gets there', async () => {
    silent.add('w4-a:debit');
    const s = await start('w4');
    await waitUntil(() => Promise.resolve(ledger.includes('debit w4-a')));
    const res = await admin(`/sagas/${s.id}/signals/approval`)
      .send({ payload: { decision: 'approve' } })
      .expect(202);
    expect(res.body).toMatchObject({ outcome: 'kept', sagaId: s.id });
    const view = (await http().get(`/sagas/${s.id}`).set('Authorization', `Bearer ${ADMIN}`)).body as { steps: object[] };
    expect(view.steps[1]).toMatchObject({
      status: 'PENDING',
      signalKept: true,
    });
    app.get(EventBus).publish(new AccountChanged(s.id, 'debit'));
    await waitUntil(async () => (await load(s.id)).status === 'COMPLETED');
    expect((await load(s.id)).data).toMatchObject({ approvedBy: 'operator' });
  });

  it('409 with the reason for a duplicate, an unknown or a late signal, and nothing changes', async () => {
    const id = await waiting('w5');
    await admin(`/sagas/${id}/signals/approval`)
      .send({ payload: { decision: 'approve' } })
      .expect(202);
    await waitUntil(async () => (await load(id)).status === 'COMPLETED');
    const before = await load(id);

    const duplicate = await admin(`/sagas/${id}/signals/approval`)
      .send({ payload: { decision: 'reject' } })
      .expect(409);
    expect(duplicate.body).toEqual({
      statusCode: 409,
      error: 'Conflict',
      message: 'signal "approval" duplicate: the wait already has its signal; nothing changed',
    });
    const unknown = await admin(`/sagas/${id}/signals/payday`).send({}).expect(409);
    expect((unknown.body as { message: string }).message).toBe(
      'signal "payday" unknown: no step of signal-transfer waits for it; nothing changed',
    );

    const timedOut = await waiting('w5-late');
    app.get(SagaClock).advance(48 * HOUR);
    await app.get(SagaTimeoutJob).runOnce();
    await waitUntil(async () => (await load(timedOut)).status === 'COMPENSATED');
    const late = await admin(`/sagas/${timedOut}/signals/approval`)
      .send({ payload: { decision: 'approve' } })
      .expect(409);
    expect((late.body as { message: string }).message).toMatch(/^signal "approval" late: the wait is over/);

    const after = await load(id);
    expect({ status: after.status, steps: after.steps, data: after.data }).toEqual({
      status: before.status,
      steps: before.steps,
      data: before.data,
    });
    expect((await load(timedOut)).status).toBe('COMPENSATED');
  });

  it('404 for no such saga; 401 without a token and 403 with a wrong one, changing nothing', async () => {
    await admin('/sagas/0d5d7f9c-5b49-4a40-9d51-f6d1e4b38b55/signals/approval').send({}).expect(404);
    await admin('/sagas/not-a-uuid/signals/approval').send({}).expect(400);
    const id = await waiting('w6');
    const version = (await load(id)).version;
    await http()
      .post(`/sagas/${id}/signals/approval`)
      .send({ payload: { decision: 'approve' } })
      .expect(401);
    await http()
      .post(`/sagas/${id}/signals/approval`)
      .set('Authorization', 'Bearer wrong')
      .send({ payload: { decision: 'approve' } })
      .expect(403);
    expect((await load(id)).version).toBe(version);
    expect((await load(id)).steps[1].status).toBe('WAITING');
  });

  it.each<[string, string, object]>([
    ['an array payload', 'approval', { payload: [{ decision: 'approve' }] }],
    ['a string payload', 'approval', { payload: 'approve' }],
    ['a null payload', 'approval', { payload: null }],
    ['an oversized payload', 'approval', { payload: { decision: 'approve', reason: 'x'.repeat(5_000) } }],
    ['an unknown body field', 'approval', { payload: { decision: 'approve' }, decision: 'approve' }],
    ['a name over 100 characters', 'a'.repeat(101), { payload: { decision: 'approve' } }],
  ])('400 for %s, changing nothing', async (_, name, body) => {
    const id = await waiting(`w7-${name.length}-${JSON.stringify(body).length}`);
    const version = (await load(id)).version;
    const entries = (await sagas.store.history(id)).length;
    const res = await admin(`/sagas/${id}/signals/${name}`).send(body).expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect((await load(id)).version).toBe(version);
    expect(await sagas.store.history(id)).toHaveLength(entries);
  });
});
