import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CommandBus } from '@nestjs/cqrs';
import type { DataSource } from 'typeorm';
import { type SagaOrchestrator, type SagaState, SagaStatus } from 'sagaworks';
import type { ExploreOptions } from 'sagaworks/testing';
import { databaseKinds } from '../support/test-database';
import { BrokenTripModule } from './broken/broken-trip.module';
import { brokenTripSaga } from './broken/broken-trip.saga';
import { CarelessTripModule } from './broken/careless-trip.module';
import { carelessTripSaga } from './broken/careless-trip.saga';
import { BookFlightCommand } from './flights/book-flight.command';
import { startTravelApp, type TravelApp } from './travel-app';
import { TravelModule } from './travel.module';
import { activeBookings, tripBookings } from './trip-bookings';
import { trip, type TripData } from './trip-data';
import { tripSaga } from './trip.saga';

type History = Awaited<ReturnType<SagaOrchestrator['store']['history']>>;

/** Sequence number at which `step` (null: the saga itself) first reached `to`. */
const seqOf = (history: History, step: string | null, to: string): number => {
  const row = history.find((h) => h.step === step && h.to === to);
  if (!row) throw new Error(`history has no ${step ?? 'saga'} -> ${to}: ${JSON.stringify(history.map((h) => [h.seq, h.step, h.to]))}`);
  return row.seq;
};

const stepStatuses = (state: SagaState) => Object.fromEntries(state.steps.map((s) => [s.name, s.status]));

/** The explorer's own invariant: a completed trip holds one of everything, a compensated one holds nothing. */
const bookingsAreConsistent =
  (ds: DataSource): NonNullable<ExploreOptions['check']> =>
  async ({ state }) => {
    const { tripId } = state.data as TripData;
    const active = await activeBookings(ds, tripId);
    const expected = state.status === SagaStatus.COMPLETED ? 1 : state.status === SagaStatus.COMPENSATED ? 0 : null;
    if (expected === null) return;
    if (active.flights !== expected || active.hotels !== expected || active.cars !== expected) {
      throw new Error(`${state.status} trip ${tripId} holds ${JSON.stringify(active)}, expected ${expected} of each`);
    }
  };

/** Scenario names of the kit's failure lines ("<scenario>: <problem>"). */
const failedScenarios = (failures: string[]) => [...new Set(failures.map((f) => f.slice(0, f.indexOf(': '))))].sort();

describe('the travel app', () => {
  it('imports the library by its package name only, and nothing from src/ but the data source options', () => {
    const root = process.cwd();
    const dir = join(root, 'test', 'travel');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const specifier = /\b(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g;
    const reached = new Set<string>();
    const offending: string[] = [];
    for (const file of files) {
      const source = readFileSync(join(dir, file), 'utf8');
      for (const [, spec] of source.matchAll(specifier)) {
        const target = spec.startsWith('.')
          ? relative(root, resolve(dirname(join(dir, file)), spec))
              .split(sep)
              .join('/')
          : spec;
        if (/^sagaworks(\/|$)/.test(target)) reached.add('sagaworks');
        if (target.startsWith('packages/')) offending.push(`${file} imports ${spec}`);
        if (!target.startsWith('src/')) continue;
        reached.add(target);
        if (target !== 'src/database/data-source-options') offending.push(`${file} imports ${spec}`);
      }
    }
    expect(offending).toEqual([]);
    // Both must be seen, or the scan above is not reading the imports at all.
    expect([...reached].sort()).toEqual(['sagaworks', 'src/database/data-source-options']);
  });
});

describe.each(databaseKinds())('booking a trip with the saga module, on %s', (kind) => {
  let t: TravelApp;
  const start = async (data: TripData) => (await t.orchestrator.start(tripSaga, { correlationId: data.tripId, data })).id;

  beforeAll(async () => {
    t = await startTravelApp(kind, { sagaConfig: 'static', features: [TravelModule] });
  });

  afterAll(async () => {
    await t?.close();
  });

  describe('when the flight, the hotel and the car are all available', () => {
    const data = trip();
    let state: SagaState;

    beforeAll(async () => {
      state = await t.kit.runToEnd(await start(data));
    });

    it('completes the saga', () => {
      expect(state.status).toBe(SagaStatus.COMPLETED);
      expect(stepStatuses(state)).toEqual({ bookFlight: 'COMPLETED', reserveHotel: 'COMPLETED', rentCar: 'COMPLETED' });
      expect(state.failureReason).toBeNull();
    });

    it('books one seat, one room and one car for the trip', async () => {
      const bookings = await tripBookings(t.dataSource, data.tripId);
      expect(bookings).toEqual({
        flight: { status: 'BOOKED', reason: null, tombstone: false, booking_ref: expect.stringMatching(/^FL-/) },
        hotel: { status: 'RESERVED', reason: null, tombstone: false },
        car: { status: 'RENTED', reason: null, tombstone: false },
      });
      // the flight's reply was folded into the saga's data
      expect((state.data as TripData).flightRef).toBe(bookings.flight?.booking_ref);
    });

    it('starting the same trip again returns the first saga and books nothing more', async () => {
      const again = await t.orchestrator.start(tripSaga, { correlationId: data.tripId, data });
      expect(again.id).toBe(state.id);
      expect(again.status).toBe(SagaStatus.COMPLETED);
      expect(await activeBookings(t.dataSource, data.tripId)).toEqual({ flights: 1, hotels: 1, cars: 1 });
    });
  });

  describe('when the hotel rejects the booking', () => {
    const data = trip({ destination: 'ATLANTIS' });
    let state: SagaState;
    let history: History;

    beforeAll(async () => {
      state = await t.kit.runToEnd(await start(data));
      history = await t.orchestrator.store.history(state.id);
    });

    it('ends COMPENSATED with the hotel reason', () => {
      expect(state.status).toBe(SagaStatus.COMPENSATED);
      expect(state.failureReason).toBe('reserveHotel failed: no hotel in ATLANTIS');
    });

    it('it cancels the flight', async () => {
      expect(state.steps[0]).toMatchObject({ name: 'bookFlight', status: 'COMPENSATED', compensationAttempts: 1 });
      const { flight, hotel } = await tripBookings(t.dataSource, data.tripId);
      expect(flight).toMatchObject({ status: 'CANCELLED', tombstone: false, reason: 'reserveHotel failed: no hotel in ATLANTIS' });
      expect(hotel).toMatchObject({ status: 'REJECTED', reason: 'no hotel in ATLANTIS' });
    });

    it('never rents a car', async () => {
      expect(state.steps[2]).toMatchObject({ name: 'rentCar', status: 'PENDING', attempts: 0, compensationAttempts: 0 });
      expect((await tripBookings(t.dataSource, data.tripId)).car).toBeNull();
    });

    it('records the failure, then the flight cancellation, then the end, in its history', () => {
      const order = [
        seqOf(history, 'reserveHotel', 'FAILED'),
        seqOf(history, null, 'COMPENSATING'),
        seqOf(history, 'bookFlight', 'COMPENSATING'),
        seqOf(history, 'bookFlight', 'COMPENSATED'),
        seqOf(history, null, 'COMPENSATED'),
      ];
      expect(order).toEqual([...order].sort((a, b) => a - b));
      expect(history.some((h) => h.step === 'reserveHotel' && h.to === 'COMPENSATING')).toBe(false);
    });
  });

  describe('when no car of the requested class is available', () => {
    const data = trip({ carClass: 'TANK' });
    let state: SagaState;
    let history: History;

    beforeAll(async () => {
      state = await t.kit.runToEnd(await start(data));
      history = await t.orchestrator.store.history(state.id);
    });

    it('ends COMPENSATED with the rental reason', () => {
      expect(state.status).toBe(SagaStatus.COMPENSATED);
      expect(state.failureReason).toBe('rentCar failed: no TANK available');
      expect(stepStatuses(state)).toEqual({ bookFlight: 'COMPENSATED', reserveHotel: 'COMPENSATED', rentCar: 'FAILED' });
    });

    it('cancels the hotel before the flight', () => {
      expect(seqOf(history, 'rentCar', 'FAILED')).toBeLessThan(seqOf(history, 'reserveHotel', 'COMPENSATING'));
      expect(seqOf(history, 'reserveHotel', 'COMPENSATED')).toBeLessThan(seqOf(history, 'bookFlight', 'COMPENSATING'));
      expect(seqOf(history, 'bookFlight', 'COMPENSATED')).toBeLessThan(seqOf(history, null, 'COMPENSATED'));
    });

    it('cancels both bookings and does not return a car it never rented', async () => {
      expect(await tripBookings(t.dataSource, data.tripId)).toMatchObject({
        flight: { status: 'CANCELLED', tombstone: false },
        hotel: { status: 'CANCELLED', tombstone: false },
        car: { status: 'REJECTED', tombstone: false },
      });
    });
  });

  describe('when the airline never answers', () => {
    const data = trip({ flightNo: 'SLOW' });
    let state: SagaState;
    let history: History;

    beforeAll(async () => {
      state = await t.kit.runToEnd(await start(data));
      history = await t.orchestrator.store.history(state.id);
    });

    it('retries the booking once after its deadline', () => {
      expect(state.steps[0]).toMatchObject({ name: 'bookFlight', attempts: 2 });
      expect(history.map((h) => h.reason)).toEqual(
        expect.arrayContaining(['attempt 1 timed out after 1000 ms; retry in 50 ms', 'retry: attempt 2 of 2']),
      );
      // two deadlines and a backoff passed on the saga clock, which the kit moved instead of sleeping
      expect(state.updatedAt.getTime() - state.createdAt.getTime()).toBeGreaterThanOrEqual(2 * 1_000 + 50);
    });

    it('then gives up and cancels the flight anyway, since it may have been booked', () => {
      expect(state.status).toBe(SagaStatus.COMPENSATED);
      expect(state.failureReason).toBe('bookFlight failed: bookFlight timed out after 2 attempts');
      expect(state.steps[0]).toMatchObject({ status: 'COMPENSATED', outcomeUnknown: true, compensationAttempts: 1 });
      expect(stepStatuses(state)).toMatchObject({ reserveHotel: 'PENDING', rentCar: 'PENDING' });
    });

    it('leaves a tombstone, so a booking that arrives late books nothing', async () => {
      expect(await tripBookings(t.dataSource, data.tripId)).toEqual({
        flight: { status: 'CANCELLED', tombstone: true, reason: 'cancelled before any booking', booking_ref: null },
        hotel: null,
        car: null,
      });
      await t.app.get(CommandBus).execute(new BookFlightCommand(state.id, data.tripId, 'BA117'));
      expect((await tripBookings(t.dataSource, data.tripId)).flight).toMatchObject({
        status: 'CANCELLED',
        tombstone: true,
        booking_ref: null,
      });
      expect(await t.orchestrator.store.load(state.id)).toMatchObject({ status: SagaStatus.COMPENSATED, version: state.version });
    });
  });

  describe('when the kit injects every fault it knows', () => {
    it('every run ends completed with one booking per service, or compensated with none', async () => {
      const report = await t.kit.exploreFailures(tripSaga, {
        start: async () => start(trip()),
        check: bookingsAreConsistent(t.dataSource),
      });
      expect(report.failures).toEqual([]);
      // 1 clean run; per step 4 forward faults and 2 of its compensation (cancel delivered twice, its reply lost once)
      expect(report.runs.length).toBe(1 + 3 * 6 + 1);
      expect(Object.fromEntries(report.runs.map((r) => [r.scenario, r.state.status]))).toEqual({
        'no fault': 'COMPLETED',
        ...Object.fromEntries(
          ['bookFlight', 'reserveHotel', 'rentCar'].flatMap((step) => [
            [`${step} fails`, 'COMPENSATED'],
            [`${step} never answers`, 'COMPENSATED'],
            [`${step}'s reply is lost once`, 'COMPLETED'],
            [`${step}'s command delivered twice`, 'COMPLETED'],
            [`${step}'s compensation delivered twice`, 'COMPENSATED'],
            [`${step}'s compensation reply is lost once`, 'COMPENSATED'],
          ]),
        ),
        'every event delivered twice': 'COMPLETED',
      });
    });
  });

  describe('when a compensation is never confirmed (broken-trip, saga module configured by a factory)', () => {
    let b: TravelApp;

    beforeAll(async () => {
      b = await startTravelApp(kind, { sagaConfig: 'factory', features: [BrokenTripModule] });
    });

    afterAll(async () => {
      await b?.close();
    });

    it('boots with the options the factory returned', () => {
      expect(b.orchestrator.instanceId).toBe('travel-async');
    });

    it('the kit reports every run that had to undo the hotel, naming the hotel step', async () => {
      const report = await b.kit.exploreFailures(brokenTripSaga, {
        start: async (scenario) => {
          const data = trip({ traveller: scenario });
          return (await b.orchestrator.start(brokenTripSaga, { correlationId: data.tripId, data })).id;
        },
        check: bookingsAreConsistent(b.dataSource),
      });
      expect(report.failures.length).toBeGreaterThan(0);
      // Every run that undoes the hotel: the car failing or silent, the car's compensation faults (the car gives up,
      // then the hotel is undone), the hotel silent, and the hotel's compensation faults (the car fails).
      expect(failedScenarios(report.failures)).toEqual([
        'rentCar fails',
        'rentCar never answers',
        "rentCar's compensation delivered twice",
        "rentCar's compensation reply is lost once",
        'reserveHotel never answers',
        "reserveHotel's compensation delivered twice",
        "reserveHotel's compensation reply is lost once",
      ]);
      for (const line of report.failures)
        expect(line).toMatch(/: ended FAILED \(.*reserveHotel compensation timed out after 2 attempts\), expected COMPENSATED$/);
    });
  });

  describe('when the car rental handler is not idempotent (careless-trip)', () => {
    let c: TravelApp;

    beforeAll(async () => {
      c = await startTravelApp(kind, { sagaConfig: 'static', features: [CarelessTripModule] });
    });

    afterAll(async () => {
      await c?.close();
    });

    it('the kit reports the run whose rental reply was lost, and the car it leaked', async () => {
      const report = await c.kit.exploreFailures(carelessTripSaga, {
        start: async () => {
          const data = trip();
          return (await c.orchestrator.start(carelessTripSaga, { correlationId: data.tripId, data })).id;
        },
        check: bookingsAreConsistent(c.dataSource),
      });
      // The car's compensation faults make the car give up first (its replies lost), and the careless retry then
      // answers "already rented": the car counts as never rented, so it is never returned.
      const leaked = (scenario: string) =>
        new RegExp(`^${scenario}: check failed: COMPENSATED trip .* holds \\{"flights":0,"hotels":0,"cars":1\\}, expected 0 of each$`);
      expect(failedScenarios(report.failures)).toEqual([
        "rentCar's compensation delivered twice",
        "rentCar's compensation reply is lost once",
        "rentCar's reply is lost once",
      ]);
      expect(report.failures).toEqual([
        "rentCar's reply is lost once: ended COMPENSATED (rentCar failed: a car is already rented for this trip), expected COMPLETED",
        expect.stringMatching(leaked("rentCar's reply is lost once")),
        expect.stringMatching(leaked("rentCar's compensation delivered twice")),
        expect.stringMatching(leaked("rentCar's compensation reply is lost once")),
      ]);
    });
  });
});
