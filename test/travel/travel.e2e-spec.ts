import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CommandBus } from '@nestjs/cqrs';
import type { DataSource } from 'typeorm';
import { type SagaOrchestrator, type SagaState, SagaStatus } from 'sagaworks';
import { type ExploreOptions, type SagaEffect, SagaTestKit } from 'sagaworks/testing';
import { databaseKinds } from '../support/test-database';
import { BrokenTripModule } from './broken/broken-trip.module';
import { brokenTripSaga } from './broken/broken-trip.saga';
import { CarelessTripModule } from './broken/careless-trip.module';
import { carelessTripSaga } from './broken/careless-trip.saga';
import { BookFlightCommand } from './flights/book-flight.command';
import { startTravelApp, type TravelApp } from './travel-app';
import { TravelModule } from './travel.module';
import { activeBookings, type BookingRecord, tripBookings } from './trip-bookings';
import { trip, type TripData } from './trip-data';
import { tripBranches, tripSaga } from './trip.saga';

type History = Awaited<ReturnType<SagaOrchestrator['store']['history']>>;

/** Sequence number at which `step` (null: the saga itself) first reached `to`. */
const seqOf = (history: History, step: string | null, to: string): number => {
  const row = history.find((h) => h.step === step && h.to === to);
  if (!row) throw new Error(`history has no ${step ?? 'saga'} -> ${to}: ${JSON.stringify(history.map((h) => [h.seq, h.step, h.to]))}`);
  return row.seq;
};

/** The statuses of the trip stage's branches, by name. */
const branchStatuses = (state: SagaState) => Object.fromEntries((state.steps[0].branches ?? []).map((b) => [b.name, b.status]));
const branch = (state: SagaState, name: string) => state.steps[0].branches?.find((b) => b.name === name);

/** Branches in the order they reached `to` (lines that change nothing, as a retry's, left out). */
const branchesReaching = (history: History, to: string, before = Infinity): string[] =>
  history.filter((h) => h.seq < before && h.to === to && h.from !== to && tripBranches.includes(h.step ?? '')).map((h) => h.step ?? '');

/**
 * Compensation runs in reverse order of completion: of the branches booked when the stage failed, the latest
 * booked is cancelled first (one that completes later is cancelled when its reply comes).
 */
const expectReverseCompletionOrder = (history: History, failed: string) => {
  const bookedFirst = branchesReaching(history, 'COMPLETED', seqOf(history, failed, 'FAILED'));
  const undone = branchesReaching(history, 'COMPENSATING').filter((b) => bookedFirst.includes(b));
  expect(undone).toEqual([...bookedFirst].reverse());
};

/**
 * The trip's effects, read back from the services' tables (a tombstone did nothing): the kit checks that a
 * compensated trip netted every booking to zero and a completed one booked each once, as the clean run did.
 */
const tripEffects =
  (ds: DataSource): NonNullable<ExploreOptions['effects']> =>
  async (_sagaId, state) => {
    const { flight, hotel, car } = await tripBookings(ds, (state.data as TripData).tripId);
    const effects: SagaEffect[] = [];
    const add = (step: string, key: string, row: BookingRecord | null, live: string, undone: string) => {
      if (!row || row.tombstone || (row.status !== live && row.status !== undone)) return;
      effects.push({ step, key, amount: 1 });
      if (row.status === undone) effects.push({ step, compensation: true, key, amount: -1 });
    };
    add('bookFlight', 'seat', flight, 'BOOKED', 'CANCELLED');
    add('reserveHotel', 'room', hotel, 'RESERVED', 'CANCELLED');
    add('rentCar', 'car', car, 'RENTED', 'RETURNED');
    return effects;
  };

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

    it('completes the saga, its three bookings made together', () => {
      expect(state.status).toBe(SagaStatus.COMPLETED);
      expect(state.steps.map((s) => [s.name, s.status])).toEqual([['book', 'COMPLETED']]);
      expect(branchStatuses(state)).toEqual({ bookFlight: 'COMPLETED', reserveHotel: 'COMPLETED', rentCar: 'COMPLETED' });
      expect(state.steps[0].branches?.map((b) => b.attempts)).toEqual([1, 1, 1]);
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

    it('cancels the flight and returns the car, booked beside the hotel, once each', async () => {
      expect(branchStatuses(state)).toEqual({ bookFlight: 'COMPENSATED', reserveHotel: 'FAILED', rentCar: 'COMPENSATED' });
      expect(branch(state, 'bookFlight')).toMatchObject({ attempts: 1, compensationAttempts: 1 });
      expect(branch(state, 'rentCar')).toMatchObject({ attempts: 1, compensationAttempts: 1 });
      const { flight, hotel, car } = await tripBookings(t.dataSource, data.tripId);
      expect(flight).toMatchObject({ status: 'CANCELLED', tombstone: false, reason: 'reserveHotel failed: no hotel in ATLANTIS' });
      expect(car).toMatchObject({ status: 'RETURNED', tombstone: false, reason: 'reserveHotel failed: no hotel in ATLANTIS' });
      expect(hotel).toMatchObject({ status: 'REJECTED', reason: 'no hotel in ATLANTIS' });
    });

    it('records the failure, then the cancellations in reverse order of booking, then the end, in its history', () => {
      const failed = seqOf(history, 'reserveHotel', 'FAILED');
      expect(failed).toBeLessThan(seqOf(history, null, 'COMPENSATING'));
      for (const b of ['bookFlight', 'rentCar']) {
        expect(seqOf(history, null, 'COMPENSATING')).toBeLessThan(seqOf(history, b, 'COMPENSATING'));
        expect(seqOf(history, b, 'COMPENSATED')).toBeLessThan(seqOf(history, null, 'COMPENSATED'));
      }
      expectReverseCompletionOrder(history, 'reserveHotel');
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
      expect(branchStatuses(state)).toEqual({ bookFlight: 'COMPENSATED', reserveHotel: 'COMPENSATED', rentCar: 'FAILED' });
    });

    it('cancels the hotel and the flight one at a time, the later booked first', () => {
      expect(seqOf(history, 'rentCar', 'FAILED')).toBeLessThan(seqOf(history, 'reserveHotel', 'COMPENSATING'));
      expect(seqOf(history, 'rentCar', 'FAILED')).toBeLessThan(seqOf(history, 'bookFlight', 'COMPENSATING'));
      const [first, second] = branchesReaching(history, 'COMPENSATING');
      expect(seqOf(history, first, 'COMPENSATED')).toBeLessThan(seqOf(history, second, 'COMPENSATING'));
      expect(seqOf(history, second, 'COMPENSATED')).toBeLessThan(seqOf(history, null, 'COMPENSATED'));
      expectReverseCompletionOrder(history, 'rentCar');
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

    it('retries the booking once after its own deadline, while the hotel and the car are booked', () => {
      expect(branch(state, 'bookFlight')).toMatchObject({ attempts: 2 });
      expect(branch(state, 'reserveHotel')).toMatchObject({ attempts: 1 });
      expect(branch(state, 'rentCar')).toMatchObject({ attempts: 1 });
      expect(history.filter((h) => h.step === 'bookFlight').map((h) => h.reason)).toEqual(
        expect.arrayContaining(['attempt 1 timed out after 1000 ms; retry in 50 ms', 'retry: attempt 2']),
      );
      // two deadlines and a backoff passed on the saga clock, which the kit moved instead of sleeping
      expect(state.updatedAt.getTime() - state.createdAt.getTime()).toBeGreaterThanOrEqual(2 * 1_000 + 50);
    });

    it('then gives up and cancels the flight first, since it may have been booked, then the others latest first', () => {
      expect(state.status).toBe(SagaStatus.COMPENSATED);
      expect(state.failureReason).toBe('bookFlight failed: bookFlight timed out after 2 attempts');
      expect(branch(state, 'bookFlight')).toMatchObject({ status: 'COMPENSATED', outcomeUnknown: true, compensationAttempts: 1 });
      expect(branchStatuses(state)).toMatchObject({ reserveHotel: 'COMPENSATED', rentCar: 'COMPENSATED' });
      const booked = branchesReaching(history, 'COMPLETED');
      expect(booked.sort()).toEqual(['rentCar', 'reserveHotel']);
      expect(branchesReaching(history, 'COMPENSATING')).toEqual(['bookFlight', ...branchesReaching(history, 'COMPLETED').reverse()]);
    });

    it('leaves a tombstone, so a booking that arrives late books nothing', async () => {
      expect(await tripBookings(t.dataSource, data.tripId)).toMatchObject({
        flight: { status: 'CANCELLED', tombstone: true, reason: 'cancelled before any booking', booking_ref: null },
        hotel: { status: 'CANCELLED', tombstone: false },
        car: { status: 'RETURNED', tombstone: false },
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
        effects: tripEffects(t.dataSource),
      });
      SagaTestKit.assertExplored(report);
      // 1 clean run; per branch, failing after and before the others answer, silent, its reply lost once and its
      // command twice, and its cancellation delivered twice and its reply lost once; every event twice
      expect(report.runs.length).toBe(1 + 3 * 7 + 1);
      expect(Object.fromEntries(report.runs.map((r) => [r.scenario, r.state.status]))).toEqual({
        'no fault': 'COMPLETED',
        ...Object.fromEntries(
          tripBranches.flatMap((b) => [
            [`${b} fails after the other branches answer`, 'COMPENSATED'],
            [`${b} fails before the other branches answer`, 'COMPENSATED'],
            [`${b} never answers`, 'COMPENSATED'],
            [`${b}'s reply is lost once`, 'COMPLETED'],
            [`${b}'s command delivered twice`, 'COMPLETED'],
            [`${b}'s compensation delivered twice`, 'COMPENSATED'],
            [`${b}'s compensation reply is lost once`, 'COMPENSATED'],
          ]),
        ),
        'every event delivered twice': 'COMPLETED',
      });
      // The effects were read back for every run: a clean trip booked each once; an undone one undid each booking.
      const effectsOf = (scenario: string) => report.runs.find((r) => r.scenario === scenario)?.effects;
      expect(effectsOf('no fault')).toEqual([
        { step: 'bookFlight', key: 'seat', amount: 1 },
        { step: 'reserveHotel', key: 'room', amount: 1 },
        { step: 'rentCar', key: 'car', amount: 1 },
      ]);
      expect(effectsOf('reserveHotel fails after the other branches answer')).toEqual([
        { step: 'bookFlight', key: 'seat', amount: 1 },
        { step: 'bookFlight', compensation: true, key: 'seat', amount: -1 },
        { step: 'rentCar', key: 'car', amount: 1 },
        { step: 'rentCar', compensation: true, key: 'car', amount: -1 },
      ]);
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
      // Every run that undoes the hotel, booked beside the others: the flight or the car failing (before or after
      // the others answer) or silent, the car's compensation faults (the flight fails), the hotel silent, and the
      // hotel's compensation faults (the flight fails). The flight's compensation faults make the hotel fail.
      expect(failedScenarios(report.failures)).toEqual([
        'bookFlight fails after the other branches answer',
        'bookFlight fails before the other branches answer',
        'bookFlight never answers',
        'rentCar fails after the other branches answer',
        'rentCar fails before the other branches answer',
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
      // A lost rental reply makes the car retry, and the careless retry answers "already rented": the car counts as
      // never rented, so it is never returned. (The car's compensation faults undo it by the flight's failure: the
      // car is rented once and returned.)
      const leaked = (scenario: string) =>
        new RegExp(`^${scenario}: check failed: COMPENSATED trip .* holds \\{"flights":0,"hotels":0,"cars":1\\}, expected 0 of each$`);
      expect(failedScenarios(report.failures)).toEqual(["rentCar's reply is lost once"]);
      expect(report.failures).toEqual([
        "rentCar's reply is lost once: ended COMPENSATED (rentCar failed: a car is already rented for this trip), expected COMPLETED",
        expect.stringMatching(leaked("rentCar's reply is lost once")),
      ]);
    });
  });
});
