import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { type INestApplication, Module } from '@nestjs/common';
import { CommandHandler, EventBus, type ICommand, type ICommandHandler, type IEvent } from '@nestjs/cqrs';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { databaseKinds } from '../../../../test/support/test-database.js';
import { type SagaSpecHost, startSagaSpecHost } from '../spec-support/saga-spec-host.js';
import { waitUntil } from '../../../../test/support/wait-for.js';
import { defineSaga, send, SagaClock, SagaModule, SagaOrchestrator, SagaSignals, SagaTimeoutJob } from '../index.js';

const HOUR = 3_600_000;
const ledger: string[] = [];
const silent = new Set<string>();

class MoveMoney implements ICommand {
  constructor(
    public readonly sagaId: string,
    public readonly what: 'debit' | 'credit' | 'credit back',
    public readonly account: string,
  ) {}
}
class RemindApprover implements ICommand {
  constructor(public readonly sagaId: string) {}
}
/** One event class for every move: it answers the debit, the credit and the credit back. */
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

const transferSaga = defineSaga<Transfer>({
  type: 'bank-transfer',
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
        remind: { afterMs: 24 * HOUR, command: send(RemindApprover, (c) => [c.sagaId]) },
        decide: (p, data) => {
          const { approve, by } = p as { approve: boolean; by: string };
          return approve ? { outcome: 'complete', data: { ...data, approvedBy: by } } : { outcome: 'fail', reason: `rejected by ${by}` };
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

@CommandHandler(RemindApprover)
class RemindHandler implements ICommandHandler<RemindApprover> {
  execute(c: RemindApprover): Promise<void> {
    ledger.push(`remind ${c.sagaId}`);
    return Promise.resolve();
  }
}

// No @Saga() stream of its own: the module's reply stream applies the replies.
@Module({ imports: [SagaModule.forFeature([transferSaga])], providers: [MoveMoneyHandler, RemindHandler] })
class TransferModule {}

describe.each(databaseKinds())('waits and signals, on %s', (kind) => {
  let host: SagaSpecHost;
  let app: INestApplication;
  let sagas: SagaOrchestrator;
  let signals: SagaSignals;
  let job: SagaTimeoutJob;
  let clock: SagaClock;
  let dataSource: DataSource;
  const load = async (id: string) => (await sagas.store.load(id))!;
  const start = (key: string) => sagas.start(transferSaga, { correlationId: key, data: { from: `${key}-a`, to: `${key}-b` } });
  const waitsAt = (id: string, step: string) =>
    waitUntil(async () => (await load(id)).steps.find((s) => s.name === step)?.status === 'WAITING');

  beforeAll(async () => {
    host = await startSagaSpecHost(kind, {
      saga: { jobEnabled: false, defaultStepTimeoutMs: 1_000, leaseMs: 5_000, instanceId: 'node-a' },
      imports: [TransferModule],
    });
    app = host.app;
    sagas = app.get(SagaOrchestrator);
    signals = app.get(SagaSignals);
    job = app.get(SagaTimeoutJob);
    clock = app.get(SagaClock);
    dataSource = app.get<DataSource>(getDataSourceToken());
  });

  afterAll(async () => {
    await host?.close();
  });

  beforeEach(() => {
    ledger.length = 0;
    silent.clear();
  });

  it('the module streams the replies itself; one event class answers the debit and then the credit; approval goes on', async () => {
    const s = await start('t1');
    await waitsAt(s.id, 'approval');
    const result = await signals.signal({ type: 'bank-transfer', correlationId: 't1' }, 'approval', { approve: true, by: 'alice' });
    expect(result).toMatchObject({ outcome: 'applied', sagaId: s.id });
    await waitUntil(async () => (await load(s.id)).status === 'COMPLETED');
    expect(ledger).toEqual(['debit t1-a', 'credit t1-b']);
    expect(((await load(s.id)).data as Transfer).approvedBy).toBe('alice');
  });

  it('a waiting saga holds no lease, and a job pass neither renews nor rewrites it', async () => {
    const s = await start('t2');
    await waitsAt(s.id, 'approval');
    const [row] = await dataSource.query<{ lease_owner: string | null; lease_until: Date | null; wake_at: Date; version: number }[]>(
      `SELECT lease_owner, lease_until, wake_at, version FROM saga_instance WHERE id = $1`,
      [s.id],
    );
    expect(row).toMatchObject({ lease_owner: null, lease_until: null });
    // Only its reminder (then its deadline) wakes it.
    expect(new Date(row.wake_at).toISOString()).toBe((await load(s.id)).steps[1].remindAt);
    for (let i = 0; i < 3; i++) await job.runOnce();
    const [after] = await dataSource.query<{ version: number }[]>(`SELECT version FROM saga_instance WHERE id = $1`, [s.id]);
    expect(after.version).toBe(row.version);
  });

  it('a signal sent before the saga reaches its wait is kept and consumed when it gets there', async () => {
    silent.add('t3-a:debit');
    const s = await start('t3');
    await waitUntil(() => Promise.resolve(ledger.includes('debit t3-a')));
    expect((await signals.signal(s.id, 'approval', { approve: true, by: 'bob' })).outcome).toBe('kept');
    app.get(EventBus).publish(new AccountChanged(s.id, 'debit'));
    await waitUntil(async () => (await load(s.id)).status === 'COMPLETED');
    expect(((await load(s.id)).data as Transfer).approvedBy).toBe('bob');
  });

  it('a duplicate, late or unknown signal changes nothing, says so, and is in the history', async () => {
    const s = await start('t4');
    await waitsAt(s.id, 'approval');
    expect((await signals.signal(s.id, 'approval', { approve: false, by: 'carol' })).outcome).toBe('applied');
    await waitUntil(async () => (await load(s.id)).status === 'COMPENSATED');
    const before = await load(s.id);
    const again = await signals.signal(s.id, 'approval', { approve: true, by: 'dave' });
    expect(again.outcome).toBe('duplicate');
    expect((await signals.signal(s.id, 'payday', {})).outcome).toBe('unknown');
    expect((await signals.signal('0d5d7f9c-5b49-4a40-9d51-f6d1e4b38b55', 'approval', {})).outcome).toBe('not-found');
    const after = await load(s.id);
    expect({ status: after.status, steps: after.steps, data: after.data }).toEqual({
      status: before.status,
      steps: before.steps,
      data: before.data,
    });
    const history = await sagas.store.history(s.id);
    expect(history.map((h) => h.reason)).toContain(again.reason);
    expect(before.failureReason).toBe('approval failed: rejected by carol');
    expect(ledger).toEqual(['debit t4-a', 'credit back t4-a']);
  });

  it('the reminder goes out once, and at the stored deadline the debit is credited back', async () => {
    const s = await start('t5');
    await waitsAt(s.id, 'approval');
    clock.advance(24 * HOUR);
    await job.runOnce();
    await job.runOnce();
    await waitUntil(() => Promise.resolve(ledger.includes(`remind ${s.id}`)));
    clock.advance(24 * HOUR);
    await job.runOnce();
    await waitUntil(async () => (await load(s.id)).status === 'COMPENSATED');
    expect(ledger.filter((l) => l === `remind ${s.id}`)).toHaveLength(1);
    expect((await load(s.id)).failureReason).toBe('approval failed: approval timed out after 48 h without the signal "approval"');
    expect((await signals.signal(s.id, 'approval', { approve: true, by: 'erin' })).outcome).toBe('late');
  });
});
