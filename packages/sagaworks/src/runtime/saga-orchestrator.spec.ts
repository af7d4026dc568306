import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Injectable, type INestApplication, Module } from '@nestjs/common';
import { CommandHandler, CqrsModule, EventBus, type ICommand, type ICommandHandler, type IEvent, Saga } from '@nestjs/cqrs';
import { ScheduleModule } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import type { Observable } from 'rxjs';
import type { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../../../src/database/data-source-options.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../../../test/support/test-database.js';
import { defineSaga, send, SagaClock, SagaModule, SagaOrchestrator, sagaMigrations, SagaTimeoutJob } from '../index.js';
import { SagaStore } from '../persistence/saga-store.js';
import type { SagaStatus } from '../domain/saga-status.js';
import type { SagaState, Transition } from '../domain/saga-state.js';
import { waitUntil } from '../../../../test/support/wait-for.js';

type Behaviour = 'ok' | 'fail' | 'silent' | 'throw' | 'fatal';

class FatalError extends Error {}
const behaviour = new Map<string, Behaviour>();
const executed: string[] = [];

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
  ) {}
}
class DoneEvent implements IEvent {
  constructor(
    public readonly sagaId: string,
    public readonly step: string,
    public readonly explode = false,
  ) {}
}
class OneDone extends DoneEvent {}
class TwoDone extends DoneEvent {}
class TwoFailed implements IEvent {
  constructor(
    public readonly sagaId: string,
    public readonly reason: string,
  ) {}
}
class OneUndone implements IEvent {
  constructor(public readonly sagaId: string) {}
}

interface Data {
  key: string;
  folded: string[];
}

const testSaga = defineSaga<Data>({
  type: 'runtime-test',
  steps: [
    {
      name: 'one',
      command: send(DoCommand, (c) => [c.sagaId, 'one', c.data.key]),
      completedBy: [OneDone],
      onCompleted: (d, e) => {
        if ((e as DoneEvent).explode) throw new Error('boom while folding');
        return { ...d, folded: [...d.folded, 'one'] };
      },
      compensation: send(UndoCommand, (c) => [c.sagaId, 'one']),
      compensatedBy: [OneUndone],
      retry: { nonRetryableErrors: [FatalError] },
    },
    {
      name: 'two',
      command: send(DoCommand, (c) => [c.sagaId, 'two', c.data.key]),
      completedBy: [TwoDone],
      failedBy: [TwoFailed],
      nonCompensable: true,
    },
  ],
});

@CommandHandler(DoCommand)
class DoHandler implements ICommandHandler<DoCommand> {
  constructor(private readonly events: EventBus) {}
  // eslint-disable-next-line @typescript-eslint/require-await -- async on purpose: the 'throw' and 'fatal' behaviours must reject, as a failing handler's promise does, not throw synchronously
  async execute(c: DoCommand): Promise<void> {
    executed.push(`${c.key}:${c.step}`);
    const b = behaviour.get(`${c.key}:${c.step}`) ?? 'ok';
    if (b === 'silent') return;
    if (b === 'throw') throw new Error('database hiccup');
    if (b === 'fatal') throw new FatalError('bad request to the provider');
    if (b === 'fail') this.events.publish(new TwoFailed(c.sagaId, 'said no'));
    else this.events.publish(c.step === 'one' ? new OneDone(c.sagaId, 'one') : new TwoDone(c.sagaId, 'two'));
  }
}

@CommandHandler(UndoCommand)
class UndoHandler implements ICommandHandler<UndoCommand> {
  constructor(private readonly events: EventBus) {}
  execute(c: UndoCommand): Promise<void> {
    executed.push(`undo:${c.sagaId}`);
    this.events.publish(new OneUndone(c.sagaId));
    return Promise.resolve();
  }
}

@Injectable()
class TestSagas {
  constructor(private readonly sagas: SagaOrchestrator) {}
  @Saga()
  replies = (events$: Observable<IEvent>): Observable<ICommand> => events$.pipe(this.sagas.replies(testSaga));
}

@Module({ imports: [SagaModule.forFeature([testSaga])], providers: [DoHandler, UndoHandler, TestSagas] })
class TestFeatureModule {}

/** A transition of `state` that changes nothing but its failure reason and appends one history line. */
function noteTransition(state: SagaState, reason: string): Transition {
  return {
    state: { ...state, failureReason: reason, updatedAt: new Date() },
    history: [{ step: 'one', from: 'EXECUTING', to: 'EXECUTING', reason }],
    actions: [],
  };
}

describe.each(databaseKinds())('SagaOrchestrator, on %s', (kind) => {
  let db: TestDatabase;
  let app: INestApplication;
  let sagas: SagaOrchestrator;
  let job: SagaTimeoutJob;
  let clock: SagaClock;
  let dataSource: DataSource;
  const statusOf = async (id: string) => (await sagas.store.load(id))?.status;
  const start = (key: string) => sagas.start(testSaga, { correlationId: key, data: { key, folded: [] } });

  beforeAll(async () => {
    db = await createTestDatabase(kind);
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
          defaultStepTimeoutMs: 1_000,
          retry: { maxAttempts: 2, backoffBaseMs: 100, backoffMaxMs: 100 },
          leaseMs: 5_000,
          instanceId: 'node-a',
        }),
        TestFeatureModule,
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    sagas = app.get(SagaOrchestrator);
    job = app.get(SagaTimeoutJob);
    clock = app.get(SagaClock);
    dataSource = app.get<DataSource>(getDataSourceToken());
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  beforeEach(() => {
    behaviour.clear();
    executed.length = 0;
  });

  it('runs a saga to COMPLETED and records its history in order', async () => {
    const s = await start('happy');
    await waitUntil(async () => (await statusOf(s.id)) === 'COMPLETED');
    const state = await sagas.store.load(s.id);
    expect(state?.data).toEqual({ key: 'happy', folded: ['one'] });
    const history = await sagas.store.history(s.id);
    expect(history.map((h) => h.seq)).toEqual(history.map((_, i) => i + 1));
    expect(history.at(-1)).toMatchObject({ step: null, from: 'RUNNING', to: 'COMPLETED' });
  });

  it('starting twice with one correlation id returns the first instance', async () => {
    behaviour.set('twice:one', 'silent');
    const a = await start('twice');
    const b = await start('twice');
    expect(b.id).toBe(a.id);
    expect(executed.filter((e) => e === 'twice:one')).toHaveLength(1);
  });

  it('applies a reply once when it arrives twice at the same moment', async () => {
    behaviour.set('race:one', 'silent');
    behaviour.set('race:two', 'silent');
    const s = await start('race');
    const commands = await Promise.all([
      sagas.onReply(testSaga, new OneDone(s.id, 'one')),
      sagas.onReply(testSaga, new OneDone(s.id, 'one')),
    ]);
    expect(commands.flat()).toHaveLength(1);
    const state = await sagas.store.load(s.id);
    expect((state?.data as Data).folded).toEqual(['one']);
    expect(state?.steps.map((x) => x.status)).toEqual(['COMPLETED', 'EXECUTING']);
  });

  it('survives an error thrown while handling an event, and handles the next one', async () => {
    behaviour.set('explode:one', 'silent');
    const broken = await start('explode');
    app.get(EventBus).publish(new OneDone(broken.id, 'one', true));
    await new Promise((r) => setTimeout(r, 50));
    expect((await sagas.store.load(broken.id))?.steps[0].status).toBe('EXECUTING');
    const next = await start('after-explode');
    await waitUntil(async () => (await statusOf(next.id)) === 'COMPLETED');
    // the broken saga is still resumable: a well-formed reply completes it
    app.get(EventBus).publish(new OneDone(broken.id, 'one'));
    await waitUntil(async () => (await statusOf(broken.id)) === 'COMPLETED');
  });

  it('retries a silent step after its deadline, then fails it and compensates, without sleeping', async () => {
    behaviour.set('slow:one', 'silent');
    const s = await start('slow');
    expect(await job.runOnce()).toBe(0);
    clock.advance(1_000);
    await job.runOnce(); // timed out: backoff
    clock.advance(100);
    await job.runOnce(); // attempt 2
    await waitUntil(() => executed.filter((e) => e === 'slow:one').length === 2);
    clock.advance(1_000);
    await job.runOnce(); // gives up: the step may have happened, so it is undone
    await waitUntil(async () => (await statusOf(s.id)) === 'COMPENSATED');
    const state = await sagas.store.load(s.id);
    expect(state?.steps[0]).toMatchObject({ status: 'COMPENSATED', attempts: 2, outcomeUnknown: true });
    expect(state?.failureReason).toBe('one failed: one timed out after 2 attempts');
  });

  it('retries a step whose handler throws after the backoff, not the deadline, and fails it on a non-retryable error', async () => {
    behaviour.set('flaky:one', 'throw');
    const flaky = await start('flaky');
    await waitUntil(async () => (await sagas.store.load(flaky.id))?.steps[0].awaitingRetry === true);
    behaviour.delete('flaky:one');
    clock.advance(100); // the backoff, far less than the 1 s deadline
    await job.runOnce();
    await waitUntil(async () => (await statusOf(flaky.id)) === 'COMPLETED');
    expect((await sagas.store.load(flaky.id))?.steps[0].attempts).toBe(2);

    behaviour.set('fatal:one', 'fatal');
    const fatal = await start('fatal');
    await waitUntil(async () => (await statusOf(fatal.id)) === 'COMPENSATED');
    const state = await sagas.store.load(fatal.id);
    expect(state?.failureReason).toBe('one failed: bad request to the provider (not retryable)');
    expect(state?.steps[0]).toMatchObject({ attempts: 1, status: 'COMPENSATED' });
  });

  it('a failed non-compensable last step leaves earlier steps compensated', async () => {
    behaviour.set('no:two', 'fail');
    const s = await start('no');
    await waitUntil(async () => (await statusOf(s.id)) === 'COMPENSATED');
    expect((await sagas.store.load(s.id))?.steps.map((x) => x.status)).toEqual(['COMPENSATED', 'FAILED']);
  });

  it('resumes a saga whose owner died, before its deadline', async () => {
    behaviour.set('orphan:one', 'silent');
    const s = await start('orphan');
    // another instance dispatched this step and died: its lease ran out, its deadline has not
    await dataSource.query(
      `UPDATE saga_instance SET lease_owner = 'dead-node', lease_until = $2, wake_at = $2, due_at = $3 WHERE id = $1`,
      [s.id, new Date(clock.now().getTime() - 1).toISOString(), new Date(clock.now().getTime() + 60_000).toISOString()],
    );
    behaviour.delete('orphan:one');
    expect(await job.runOnce()).toBeGreaterThanOrEqual(1);
    await waitUntil(async () => (await statusOf(s.id)) === 'COMPLETED');
    const history = await sagas.store.history(s.id);
    expect(history.some((h) => h.reason === 'resumed by node-a after lease expiry')).toBe(true);
    expect((await sagas.store.load(s.id))?.steps[0].attempts).toBe(1);
  });

  it('a deadline that passed while its owner was dead spends no attempt; a step that keeps losing its owner is resumed only maxAttempts times', async () => {
    behaviour.set('crashy:one', 'silent');
    const s = await start('crashy');
    // The instance that dispatched the step died and stayed down past the step's deadline (a slow restart).
    const dieAndStayDown = () =>
      dataSource.query(`UPDATE saga_instance SET lease_owner = 'dead-node', lease_until = $2, wake_at = $2, due_at = $2 WHERE id = $1`, [
        s.id,
        new Date(clock.now().getTime() - 1).toISOString(),
      ]);
    const one = async () => (await sagas.store.load(s.id))?.steps[0];
    for (const resumes of [1, 2]) {
      await dieAndStayDown();
      expect(await job.runOnce()).toBeGreaterThanOrEqual(1);
      expect(await one()).toMatchObject({ status: 'EXECUTING', attempts: 1, resumes });
    }
    const history = await sagas.store.history(s.id);
    expect(history.filter((h) => h.reason?.endsWith('so the attempt is not spent'))).toHaveLength(2);
    expect(history.some((h) => h.reason?.includes('timed out'))).toBe(false);
    await waitUntil(() => executed.filter((e) => e === 'crashy:one').length === 3);

    // Resumed as often as the step has attempts (2 here): from now on a missed deadline counts, so a command
    // that takes its instance down every time still ends.
    await dieAndStayDown();
    await job.runOnce();
    expect(await one()).toMatchObject({ attempts: 1, awaitingRetry: true, error: 'attempt 1 timed out after 1000 ms; retry in 100 ms' });

    // A live owner's missed deadline counts, even when its own lease lapsed too (it stalled between renewing and
    // claiming): it is alive and claiming, so the step had its chance.
    behaviour.set('live:one', 'silent');
    const live = await start('live');
    clock.advance(6_000); // past the 1 s deadline and the 5 s lease, with no renewal in between
    expect(await sagas.handleDue()).toBeGreaterThanOrEqual(1);
    expect((await sagas.store.load(live.id))?.steps[0]).toMatchObject({ attempts: 1, awaitingRetry: true });
  });

  it("a deadline under another instance's live lease is left to it; once that lease lapses the step is resumed unspent, whatever the lease-to-timeout ratio", async () => {
    behaviour.set('frozen:one', 'silent');
    const s = await start('frozen');
    // Another instance dispatched the step and froze (SIGSTOP): its deadline passed, its lease (longer than the
    // step's timeout, as with the default 15 s lease and 10 s timeout) has not.
    const now = clock.now().getTime();
    await dataSource.query(
      `UPDATE saga_instance SET lease_owner = 'frozen-node', lease_until = $2, wake_at = $3, due_at = $3 WHERE id = $1`,
      [s.id, new Date(now + 4_000).toISOString(), new Date(now - 1).toISOString()],
    );
    await job.runOnce();
    expect((await sagas.store.load(s.id))?.steps[0]).toMatchObject({ status: 'EXECUTING', attempts: 1 });
    expect((await sagas.store.load(s.id))?.steps[0].awaitingRetry).toBeUndefined();
    behaviour.delete('frozen:one');
    clock.advance(5_000); // the frozen instance's lease lapses
    expect(await job.runOnce()).toBeGreaterThanOrEqual(1);
    await waitUntil(async () => (await statusOf(s.id)) === 'COMPLETED');
    const history = await sagas.store.history(s.id);
    expect(history.some((h) => h.reason?.includes('timed out'))).toBe(false);
    expect((await sagas.store.load(s.id))?.steps[0].attempts).toBe(1);
  });

  it('waitForEnd sees an end stored here at once, and one stored by another instance by its poll', async () => {
    behaviour.set('wait-here:one', 'silent');
    behaviour.set('wait-there:one', 'silent');
    const here = await start('wait-here');
    const there = await start('wait-there');
    const waitHere = sagas.waitForEnd(here.id, 10_000);
    const waitThere = sagas.waitForEnd(there.id, 10_000);
    expect(await sagas.waitForEnd(here.id, 50)).toBeNull();
    // This instance ends `here` through its own transitions: step one's reply, then step two runs and replies.
    app.get(EventBus).publish(new OneDone(here.id, 'one'));
    expect((await waitHere)?.status).toBe('COMPLETED');
    // Another instance ended `there`: only its row says so.
    await dataSource.query(`UPDATE saga_instance SET status = 'COMPENSATED', wake_at = NULL, version = version + 1 WHERE id = $1`, [
      there.id,
    ]);
    expect((await waitThere)?.status).toBe('COMPENSATED');
  });

  it('reports instances started under an older definition and, by default, lets them continue', async () => {
    behaviour.set('old:one', 'silent');
    const s = await start('old');
    await dataSource.query(`UPDATE saga_instance SET definition_hash = 'older-version' WHERE id = $1`, [s.id]);
    const stale = await sagas.reportDefinitionChanges();
    expect(stale).toEqual([{ type: 'runtime-test', definitionHash: 'older-version', count: 1 }]);
    // a restarted instance knows the saga only from its row
    await sagas
      .adoptCurrentDefinition(s.id)
      .then(() => dataSource.query(`UPDATE saga_instance SET definition_hash = 'older-version' WHERE id = $1`, [s.id]));
    app.get(EventBus).publish(new OneDone(s.id, 'one'));
    await waitUntil(async () => (await statusOf(s.id)) === 'COMPLETED');
    expect((await sagas.store.load(s.id))?.definitionHash).not.toBe('older-version');
  });

  it('two claimers never claim the same saga', async () => {
    for (let i = 0; i < 20; i++) behaviour.set(`claim${i}:one`, 'silent');
    const started = await Promise.all(Array.from({ length: 20 }, (_, i) => start(`claim${i}`)));
    const ids = started.map((s) => s.id);
    // Orphaned: their owner's lease lapsed, so any instance may claim them.
    await dataSource.query(
      `UPDATE saga_instance SET wake_at = now() - interval '1 second', lease_until = now() - interval '1 second' WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    const storeA = new SagaStore(dataSource);
    const storeB = new SagaStore(dataSource);
    const now = new Date(Date.now() + 1_000);
    const until = new Date(Date.now() + 60_000);
    const [a, b] = await Promise.all([storeA.claimDue(now, 50, { owner: 'A', until }), storeB.claimDue(now, 50, { owner: 'B', until })]);
    const claimedA = a.map((s) => s.id).filter((id) => ids.includes(id));
    const claimedB = b.map((s) => s.id).filter((id) => ids.includes(id));
    expect(claimedA.filter((id) => claimedB.includes(id))).toEqual([]);
    expect(claimedA.length + claimedB.length).toBe(20);
  });

  it('startWith stores the companion row and the saga in one statement, or neither', async () => {
    await dataSource.query(`CREATE TABLE IF NOT EXISTS companion_rows (id text PRIMARY KEY, note text NOT NULL)`);
    const companion = (id: string, note: string) => ({
      sql: `INSERT INTO companion_rows (id, note) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING id, note`,
      params: [id, note],
    });
    behaviour.set('with-a:one', 'silent');
    const first = await sagas.startWith<Data, { id: string; note: string }>(
      testSaga,
      { correlationId: 'with-a', data: { key: 'with-a', folded: [] } },
      companion('row-a', 'first'),
    );
    expect(first.rows).toEqual([{ id: 'row-a', note: 'first' }]);
    expect(first.saga?.version).toBe(1);
    expect((await sagas.store.load(first.saga!.id))?.correlationId).toBe('with-a');
    await waitUntil(() => executed.includes('with-a:one'));

    // The companion wrote nothing (its row exists): no saga either.
    const again = await sagas.startWith<Data>(
      testSaga,
      { correlationId: 'with-b', data: { key: 'with-b', folded: [] } },
      companion('row-a', 'second'),
    );
    expect(again).toEqual({ saga: null, rows: [] });
    expect(await sagas.store.findByCorrelation('runtime-test', 'with-b')).toBeNull();

    // The saga cannot be stored (its correlation id is taken): the companion's row is not written either.
    await expect(
      sagas.startWith<Data>(testSaga, { correlationId: 'with-a', data: { key: 'with-a', folded: [] } }, companion('row-c', 'third')),
    ).rejects.toThrow();
    expect(await dataSource.query(`SELECT id FROM companion_rows WHERE id = 'row-c'`)).toEqual([]);
  });

  it("startWith merges the companion's data column over the saga's data; a row without it stores nothing", async () => {
    await dataSource.query(`CREATE TABLE IF NOT EXISTS companion_rows (id text PRIMARY KEY, note text NOT NULL)`);
    const companion = (id: string, folded: string | null) => ({
      sql: `INSERT INTO companion_rows (id, note) VALUES ($1, 'priced') ON CONFLICT DO NOTHING
            RETURNING id, CASE WHEN $2::text IS NULL THEN NULL ELSE jsonb_build_object('folded', jsonb_build_array($2::text)) END AS saga_data`,
      params: [id, folded],
      dataColumn: 'saga_data',
    });
    behaviour.set('with-data:one', 'silent');
    const { saga } = await sagas.startWith<Data>(
      testSaga,
      { correlationId: 'with-data', data: { key: 'with-data', folded: [] } },
      companion('row-d', 'from-the-row'),
    );
    expect(saga?.data).toEqual({ key: 'with-data', folded: ['from-the-row'] });
    expect((await sagas.store.load(saga!.id))?.data).toEqual({ key: 'with-data', folded: ['from-the-row'] });

    await expect(
      sagas.startWith<Data>(testSaga, { correlationId: 'with-null', data: { key: 'with-null', folded: [] } }, companion('row-e', null)),
    ).rejects.toThrow();
    expect(await dataSource.query(`SELECT id FROM companion_rows WHERE id = 'row-e'`)).toEqual([]);
    expect(await sagas.store.findByCorrelation('runtime-test', 'with-null')).toBeNull();

    await expect(
      sagas.startWith<Data>(
        testSaga,
        { correlationId: 'with-bad', data: { key: 'with-bad', folded: [] } },
        { ...companion('row-f', 'x'), dataColumn: 'x FROM c; --' },
      ),
    ).rejects.toThrow(/plain column name/);
    expect(await dataSource.query(`SELECT id FROM companion_rows WHERE id = 'row-f'`)).toEqual([]);
  });

  it('stores the transitions of one turn in one statement, each still conditional on its own version', async () => {
    for (let i = 0; i < 6; i++) behaviour.set(`batch${i}:one`, 'silent');
    const started = await Promise.all(Array.from({ length: 6 }, (_, i) => start(`batch${i}`)));
    const statements: string[] = [];
    const store = new SagaStore({ query: (sql: string, params?: unknown[]) => (statements.push(sql), dataSource.query(sql, params)) });
    const states = await Promise.all(started.map((s) => store.load(s.id)));
    const lease = { owner: 'batch-test', until: new Date(Date.now() + 60_000) };
    // The fifth saga moved on since it was read: its transition must not be stored; the sixth is sent twice.
    await dataSource.query(`UPDATE saga_instance SET version = version + 1 WHERE id = $1`, [states[4]!.id]);
    statements.length = 0;
    const results = await Promise.all([
      ...states.map((st) => store.update(noteTransition(st!, 'batched'), lease)),
      store.update(noteTransition(states[5]!, 'duplicate'), lease),
    ]);
    expect(results).toEqual([true, true, true, true, false, true, false]);
    expect(statements.filter((sql) => sql.includes('saga_store_transitions'))).toHaveLength(1);
    for (const [i, st] of states.entries()) {
      const stored = await store.load(st!.id);
      const history = await store.history(st!.id);
      if (i === 4) {
        expect(stored?.failureReason).toBeNull();
        expect(history.some((h) => h.reason === 'batched')).toBe(false);
      } else {
        expect(stored).toMatchObject({ failureReason: 'batched', version: st!.version + 1, leaseOwner: 'batch-test' });
        expect(history.at(-1)).toMatchObject({ seq: st!.historySeq + 1, reason: 'batched' });
        expect(history.some((h) => h.reason === 'duplicate')).toBe(false);
      }
    }
  });

  /** A store whose first statement is held on the wire until `release()`; it records every statement. */
  const gatedStore = (options: { slowWriteMs?: number; maxBatch?: number }) => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const wire = { statements: [] as string[], onWire: 0, maxOnWire: 0 };
    const store = new SagaStore(
      {
        query: async <T>(sql: string, params?: unknown[]): Promise<T> => {
          wire.statements.push(sql);
          wire.maxOnWire = Math.max(wire.maxOnWire, ++wire.onWire);
          try {
            if (wire.statements.length === 1) await gate;
            return await dataSource.query<T>(sql, params);
          } finally {
            wire.onWire--;
          }
        },
      },
      options,
    );
    return { store, wire, release: () => release() };
  };
  const nextTurn = () => new Promise((r) => setImmediate(r));

  it('gathers the transitions that arrive while a statement is on the wire into the next one', async () => {
    for (let i = 0; i < 5; i++) behaviour.set(`gather${i}:one`, 'silent');
    const started = await Promise.all(Array.from({ length: 5 }, (_, i) => start(`gather${i}`)));
    const states = await Promise.all(started.map((s) => sagas.store.load(s.id)));
    const { store, wire, release } = gatedStore({ slowWriteMs: 60_000 });
    const lease = { owner: 'gather-test', until: new Date(Date.now() + 60_000) };
    const first = store.update(noteTransition(states[0]!, 'gathered'), lease);
    await waitUntil(() => wire.statements.length === 1);
    // Four more in later turns, while the first is held on the wire.
    const rest: Promise<boolean>[] = [];
    for (const st of states.slice(1)) {
      rest.push(store.update(noteTransition(st!, 'gathered'), lease));
      await nextTurn();
    }
    expect(wire.statements).toHaveLength(1);
    release();
    expect(await Promise.all([first, ...rest])).toEqual([true, true, true, true, true]);
    expect(wire.statements).toHaveLength(2);
    expect(wire.statements[1]).toContain('saga_store_transitions');
    expect(wire.maxOnWire).toBe(1);
    for (const st of states) expect((await sagas.store.load(st!.id))?.failureReason).toBe('gathered');
  });

  it('a full batch does not wait for the statement on the wire', async () => {
    for (let i = 0; i < 4; i++) behaviour.set(`full${i}:one`, 'silent');
    const started = await Promise.all(Array.from({ length: 4 }, (_, i) => start(`full${i}`)));
    const states = await Promise.all(started.map((s) => sagas.store.load(s.id)));
    const { store, wire, release } = gatedStore({ slowWriteMs: 60_000, maxBatch: 2 });
    const lease = { owner: 'full-test', until: new Date(Date.now() + 60_000) };
    const first = store.update(noteTransition(states[0]!, 'full'), lease);
    await waitUntil(() => wire.statements.length === 1);
    const full = [store.update(noteTransition(states[1]!, 'full'), lease), store.update(noteTransition(states[2]!, 'full'), lease)];
    const heldBack = new Promise((r) => setTimeout(() => r('held back by the statement on the wire'), 10_000).unref());
    const stored = await Promise.race([Promise.all(full), heldBack]);
    if (!Array.isArray(stored)) release();
    expect(stored).toEqual([true, true]);
    expect(wire.statements).toHaveLength(2);
    // One more is not a full batch: it waits for the held statement.
    const last = store.update(noteTransition(states[3]!, 'full'), lease);
    await nextTurn();
    await nextTurn();
    expect(wire.statements).toHaveLength(2);
    release();
    expect(await Promise.all([first, last])).toEqual([true, true]);
    expect(wire.statements).toHaveLength(3);
  });

  it('a statement that never answers holds the others back only until it counts as slow', async () => {
    for (let i = 0; i < 3; i++) behaviour.set(`stall${i}:one`, 'silent');
    const started = await Promise.all(Array.from({ length: 3 }, (_, i) => start(`stall${i}`)));
    const states = await Promise.all(started.map((s) => sagas.store.load(s.id)));
    let release!: () => void;
    const hung = new Promise<void>((r) => (release = r));
    let calls = 0;
    const store = new SagaStore(
      {
        query: async <T>(sql: string, params?: unknown[]): Promise<T> => {
          // The first statement hangs, as on a half-open connection.
          if (++calls === 1) await hung;
          return dataSource.query<T>(sql, params);
        },
      },
      { slowWriteMs: 100 },
    );
    const lease = { owner: 'stall-test', until: new Date(Date.now() + 60_000) };
    let firstSettled = false;
    const first = store.update(noteTransition(states[0]!, 'after-stall'), lease).finally(() => (firstSettled = true));
    await waitUntil(() => calls === 1);
    const heldBack = new Promise((r) => setTimeout(() => r('held back by the hung statement'), 10_000).unref());
    const others = await Promise.race([
      Promise.all(states.slice(1).map((st) => store.update(noteTransition(st!, 'after-stall'), lease))),
      heldBack,
    ]);
    if (!Array.isArray(others)) release();
    expect(others).toEqual([true, true]);
    expect(firstSettled).toBe(false);
    release();
    expect(await first).toBe(true);
  });

  it('a failing row in a batch fails only its own transition', async () => {
    for (let i = 0; i < 3; i++) behaviour.set(`poison${i}:one`, 'silent');
    const started = await Promise.all(Array.from({ length: 3 }, (_, i) => start(`poison${i}`)));
    const store = new SagaStore(dataSource);
    const states = await Promise.all(started.map((s) => store.load(s.id)));
    const lease = { owner: 'poison-test', until: new Date(Date.now() + 60_000) };
    const results = await Promise.allSettled(
      states.map((st, i) =>
        store.update(
          // an invalid status violates the table's CHECK: that statement fails
          {
            state: { ...st!, status: (i === 1 ? 'NOT-A-STATUS' : st!.status) as SagaStatus, updatedAt: new Date() },
            history: [{ step: null, from: null, to: 'x', reason: 'poison' }],
            actions: [],
          },
          lease,
        ),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await store.load(states[1]!.id))?.version).toBe(states[1]!.version);
    expect((await store.load(states[0]!.id))?.version).toBe(states[0]!.version + 1);
  });
});
