import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { type INestApplication, Module } from '@nestjs/common';
import { CommandHandler, EventBus, type ICommand, type ICommandHandler, type IEvent } from '@nestjs/cqrs';
import { databaseKinds } from '../../../../test/support/test-database.js';
import { type SagaSpecHost, startSagaSpecHost } from '../spec-support/saga-spec-host.js';
import { waitUntil } from '../../../../test/support/wait-for.js';
import { defineSaga, send, SagaClock, SagaModule, SagaOrchestrator, SagaTimeoutJob } from '../index.js';

type Kind = 'flight' | 'hotel' | 'car';
const effects: string[] = [];
/** What each booking does: answer, refuse, stay silent, or throw. */
const behaviour = new Map<string, 'ok' | 'refuse' | 'silent' | 'throw'>();

class Book implements ICommand {
  constructor(
    public readonly sagaId: string,
    public readonly kind: Kind,
    public readonly trip: string,
  ) {}
}
class Cancel implements ICommand {
  constructor(
    public readonly sagaId: string,
    public readonly kind: Kind,
    public readonly trip: string,
  ) {}
}
class Reply implements IEvent {
  constructor(public readonly sagaId: string) {}
}
const replies = {
  flight: {
    booked: class FlightBooked extends Reply {},
    refused: class FlightRefused extends Reply {},
    cancelled: class FlightCancelled extends Reply {},
  },
  hotel: {
    booked: class HotelBooked extends Reply {},
    refused: class HotelRefused extends Reply {},
    cancelled: class HotelCancelled extends Reply {},
  },
  car: {
    booked: class CarBooked extends Reply {},
    refused: class CarRefused extends Reply {},
    cancelled: class CarCancelled extends Reply {},
  },
};

const booking = (kind: Kind) => ({
  name: kind,
  command: send(Book, (c: { sagaId: string; correlationId: string }) => [c.sagaId, kind, c.correlationId]),
  completedBy: [replies[kind].booked],
  failedBy: [replies[kind].refused],
  compensation: send(Cancel, (c: { sagaId: string; correlationId: string }) => [c.sagaId, kind, c.correlationId]),
  compensatedBy: [replies[kind].cancelled],
});

const tripSaga = defineSaga<object>({
  type: 'parallel-trip',
  steps: [{ name: 'book', parallel: [booking('flight'), booking('hotel'), booking('car')] }],
});

@CommandHandler(Book)
class BookHandler implements ICommandHandler<Book> {
  constructor(private readonly events: EventBus) {}
  async execute(c: Book): Promise<void> {
    const b = behaviour.get(`${c.trip}:${c.kind}`) ?? 'ok';
    if (b === 'throw') throw new Error('provider hiccup');
    if (b === 'silent') return;
    // The three answer in a random order, at about the same time: their transitions race.
    await new Promise((r) => setTimeout(r, Math.random() * 5));
    if (b === 'ok') effects.push(`book ${c.trip} ${c.kind}`);
    this.events.publish(new (b === 'ok' ? replies[c.kind].booked : replies[c.kind].refused)(c.sagaId));
  }
}

@CommandHandler(Cancel)
class CancelHandler implements ICommandHandler<Cancel> {
  constructor(private readonly events: EventBus) {}
  execute(c: Cancel): Promise<void> {
    effects.push(`cancel ${c.trip} ${c.kind}`);
    this.events.publish(new replies[c.kind].cancelled(c.sagaId));
    return Promise.resolve();
  }
}

@Module({ imports: [SagaModule.forFeature([tripSaga])], providers: [BookHandler, CancelHandler] })
class TripModule {}

describe.each(databaseKinds())('parallel stages, on %s', (kind) => {
  let host: SagaSpecHost;
  let app: INestApplication;
  let sagas: SagaOrchestrator;
  let job: SagaTimeoutJob;
  let clock: SagaClock;
  const load = async (id: string) => (await sagas.store.load(id))!;
  const start = (trip: string) => sagas.start(tripSaga, { correlationId: trip, data: {} });
  const ended = (id: string) => waitUntil(async () => ['COMPLETED', 'COMPENSATED', 'FAILED'].includes((await load(id)).status));

  beforeAll(async () => {
    host = await startSagaSpecHost(kind, {
      saga: {
        jobEnabled: false,
        defaultStepTimeoutMs: 1_000,
        retry: { maxAttempts: 2, backoffBaseMs: 10, backoffMaxMs: 10 },
        leaseMs: 5_000,
      },
      imports: [TripModule],
    });
    app = host.app;
    sagas = app.get(SagaOrchestrator);
    job = app.get(SagaTimeoutJob);
    clock = app.get(SagaClock);
  });

  afterAll(async () => {
    await host?.close();
  });

  beforeEach(() => {
    effects.length = 0;
    behaviour.clear();
  });

  it('books the three together; their replies race and the stage joins once all have answered', async () => {
    const runs = await Promise.all(['j1', 'j2', 'j3', 'j4', 'j5'].map((t) => start(t)));
    for (const r of runs) await ended(r.id);
    for (const r of runs) expect((await load(r.id)).status).toBe('COMPLETED');
    expect(effects.filter((e) => e.startsWith('book'))).toHaveLength(15);
    const history = await sagas.store.history(runs[0].id);
    expect(history.filter((h) => h.step === 'flight' || h.step === 'hotel' || h.step === 'car').map((h) => h.to)).toEqual(
      expect.arrayContaining(['EXECUTING', 'COMPLETED']),
    );
  });

  it('when one is refused, the ones booked are cancelled, and the refused one is not', async () => {
    behaviour.set('f1:hotel', 'refuse');
    const s = await start('f1');
    await ended(s.id);
    const state = await load(s.id);
    expect(state.status).toBe('COMPENSATED');
    expect(state.failureReason).toBe('hotel failed: HotelRefused');
    expect(effects.filter((e) => e.startsWith('cancel')).sort()).toEqual(
      effects
        .filter((e) => e.startsWith('book'))
        .map((e) => e.replace('book', 'cancel'))
        .sort(),
    );
    expect(effects).not.toContain('cancel f1 hotel');
  });

  it('a branch that never answers is retried on its own deadline, then undone as possibly done', async () => {
    behaviour.set('s1:car', 'silent');
    const s = await start('s1');
    await waitUntil(async () => (await load(s.id)).steps[0].branches?.filter((b) => b.status === 'COMPLETED').length === 2);
    for (let i = 0; i < 4 && (await load(s.id)).status === 'RUNNING'; i++) {
      clock.advance(1_100);
      await job.runOnce();
    }
    await waitUntil(async () => (await load(s.id)).status === 'COMPENSATED');
    const state = await load(s.id);
    expect(state.steps[0].branches?.find((b) => b.name === 'car')).toMatchObject({ attempts: 2, status: 'COMPENSATED' });
    expect(state.failureReason).toBe('car failed: car timed out after 2 attempts');
    expect(effects.filter((e) => e.startsWith('cancel')).sort()).toEqual(['cancel s1 car', 'cancel s1 flight', 'cancel s1 hotel']);
  });

  it('a branch handler that throws is retried as that branch, not another', async () => {
    behaviour.set('t1:flight', 'throw');
    const s = await start('t1');
    await waitUntil(async () => (await load(s.id)).steps[0].branches?.find((b) => b.name === 'flight')?.awaitingRetry === true);
    behaviour.delete('t1:flight');
    // Passes of the job until it ends: under load one pass may come before the backoff's end is stored.
    await waitUntil(async () => {
      const now = await load(s.id);
      if (now.steps[0].branches?.find((b) => b.name === 'flight')?.awaitingRetry) {
        clock.advance(50);
        await job.runOnce();
      }
      return ['COMPLETED', 'COMPENSATED', 'FAILED'].includes(now.status);
    });
    const state = await load(s.id);
    expect(state.status).toBe('COMPLETED');
    expect(state.steps[0].branches?.map((b) => `${b.name}:${b.attempts}`)).toEqual(['flight:2', 'hotel:1', 'car:1']);
  });
});
