import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { type INestApplication, Module } from '@nestjs/common';
import { CommandBus, CommandHandler, EventBus, type ICommand, type ICommandHandler, type IEvent } from '@nestjs/cqrs';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { databaseKinds } from '../../../../test/support/test-database.js';
import { type SagaSpecHost, startSagaSpecHost } from '../spec-support/saga-spec-host.js';
import { waitUntil } from '../../../../test/support/wait-for.js';
import {
  childCorrelationId,
  childSagaStep,
  defineSaga,
  send,
  SagaModule,
  SagaOrchestrator,
  SagaTimeoutJob,
  StartChildSagaCommand,
} from '../index.js';

const effects: string[] = [];
const refuse = new Set<string>();
const silent = new Set<string>();

class Act implements ICommand {
  constructor(
    public readonly sagaId: string,
    public readonly what: string,
    public readonly trip: string,
  ) {}
}
class Acted implements IEvent {
  constructor(
    public readonly sagaId: string,
    public readonly what: string,
  ) {}
}
class Refused implements IEvent {
  constructor(
    public readonly sagaId: string,
    public readonly reason: string,
  ) {}
}
const act = (what: string) => send(Act, (c: { sagaId: string; data: { trip: string } }) => [c.sagaId, what, c.data.trip]);

interface Trip {
  trip: string;
}

/** The child: hold a room, then confirm it. */
const hotelSaga = defineSaga<Trip>({
  type: 'hotel-booking',
  steps: [
    {
      name: 'hold',
      command: act('hold room'),
      completedBy: [Acted],
      failedBy: [Refused],
      compensation: act('release room'),
      compensatedBy: [Acted],
    },
    {
      name: 'confirm',
      command: act('confirm room'),
      completedBy: [Acted],
      failedBy: [Refused],
      compensation: act('cancel room'),
      compensatedBy: [Acted],
    },
  ],
});

/** The parent: reserve a seat, book the hotel (a child saga), pay. */
const tripSaga = defineSaga<Trip>({
  type: 'trip-with-child',
  steps: [
    { name: 'seat', command: act('reserve seat'), completedBy: [Acted], compensation: act('release seat'), compensatedBy: [Acted] },
    childSagaStep<Trip, Trip>('hotel', { saga: hotelSaga, data: (c) => ({ trip: c.data.trip }) }),
    { name: 'pay', command: act('pay'), completedBy: [Acted], failedBy: [Refused], nonCompensable: true },
  ],
});

@CommandHandler(Act)
class ActHandler implements ICommandHandler<Act> {
  constructor(private readonly events: EventBus) {}
  execute(c: Act): Promise<void> {
    if (silent.has(`${c.trip}:${c.what}`)) return Promise.resolve();
    if (refuse.has(`${c.trip}:${c.what}`)) this.events.publish(new Refused(c.sagaId, `${c.what} refused`));
    else {
      effects.push(`${c.trip} ${c.what}`);
      this.events.publish(new Acted(c.sagaId, c.what));
    }
    return Promise.resolve();
  }
}

@Module({ imports: [SagaModule.forFeature([tripSaga, hotelSaga])], providers: [ActHandler] })
class TripModule {}

describe.each(databaseKinds())('child sagas, on %s', (kind) => {
  let host: SagaSpecHost;
  let app: INestApplication;
  let sagas: SagaOrchestrator;
  const load = async (id: string) => (await sagas.store.load(id))!;
  const childOf = async (parentId: string) =>
    (await sagas.store.findByCorrelation('hotel-booking', childCorrelationId(parentId, 'hotel')))!;
  const start = (trip: string) => sagas.start(tripSaga, { correlationId: trip, data: { trip } });
  const settled = (id: string, status: string) => waitUntil(async () => (await load(id)).status === status);

  beforeAll(async () => {
    host = await startSagaSpecHost(kind, {
      saga: {
        jobEnabled: false,
        defaultStepTimeoutMs: 1_000,
        retry: { maxAttempts: 2, backoffBaseMs: 10, backoffMaxMs: 10 },
      },
      imports: [TripModule],
    });
    app = host.app;
    sagas = app.get(SagaOrchestrator);
  });

  afterAll(async () => {
    await host?.close();
  });

  beforeEach(() => {
    effects.length = 0;
    refuse.clear();
    silent.clear();
  });

  it('the parent step starts the child and completes when the child completes', async () => {
    const s = await start('c1');
    await settled(s.id, 'COMPLETED');
    expect((await childOf(s.id)).status).toBe('COMPLETED');
    expect(effects).toEqual(['c1 reserve seat', 'c1 hold room', 'c1 confirm room', 'c1 pay']);
  });

  it('a child that fails compensates itself and fails the parent step; the parent undoes what came before', async () => {
    refuse.add('c2:confirm room');
    const s = await start('c2');
    await settled(s.id, 'COMPENSATED');
    expect((await childOf(s.id)).status).toBe('COMPENSATED');
    expect((await load(s.id)).failureReason).toBe('hotel failed: confirm failed: confirm room refused');
    expect(effects).toEqual(['c2 reserve seat', 'c2 hold room', 'c2 release room', 'c2 release seat']);
  });

  it('compensating the parent compensates its completed child, as a whole, before the steps before it', async () => {
    refuse.add('c3:pay');
    const s = await start('c3');
    await settled(s.id, 'COMPENSATED');
    expect((await childOf(s.id)).status).toBe('COMPENSATED');
    expect(effects).toEqual(['c3 reserve seat', 'c3 hold room', 'c3 confirm room', 'c3 cancel room', 'c3 release room', 'c3 release seat']);
  });

  it('cancelling the parent cancels a running child', async () => {
    silent.add('c4:confirm room');
    const s = await start('c4');
    await waitUntil(
      async () =>
        (await sagas.store.findByCorrelation('hotel-booking', childCorrelationId(s.id, 'hotel')))?.steps[1].status === 'EXECUTING',
    );
    expect((await sagas.abort(s.id, 'alice', 'trip cancelled')).ok).toBe(true);
    await settled(s.id, 'COMPENSATED');
    const child = await childOf(s.id);
    expect(child.status).toBe('COMPENSATED');
    // Its confirmation was in flight, so it may have gone through: it is undone too.
    expect(effects).toEqual(['c4 reserve seat', 'c4 hold room', 'c4 cancel room', 'c4 release room', 'c4 release seat']);
  });

  it('the start sent again (its deadline, a redelivery) finds the same child, and its repeated outcome changes nothing', async () => {
    const s = await start('c5');
    await settled(s.id, 'COMPLETED');
    const before = await load(s.id);
    await app.get(CommandBus).execute(new StartChildSagaCommand(s.id, 'hotel', 'hotel-booking', { trip: 'c5' }));
    await app.get(SagaTimeoutJob).runOnce();
    const children = await app
      .get<DataSource>(getDataSourceToken())
      .query<{ n: number }[]>(`SELECT count(*)::int AS n FROM saga_instance WHERE correlation_id = $1`, [
        childCorrelationId(s.id, 'hotel'),
      ]);
    expect(children[0].n).toBe(1);
    expect((await load(s.id)).version).toBe(before.version);
    expect(effects.filter((e) => e === 'c5 hold room')).toHaveLength(1);
  });
});
