import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FlowStalledEvent, type SagaState, SagaEventReceivers, renderSagaDiagram, SagaRegistry } from 'sagaworks';
import { databaseKinds } from '../support/test-database';
import { waitFor } from '../support/wait-for';
import { HotelStaysParticipant } from './loyalty/hotel-stays.participant';
import { GuestCheckedOutEvent, PointsCreditedEvent, TierReviewedEvent } from './loyalty/loyalty.events';
import { LoyaltyModule } from './loyalty/loyalty.module';
import { MemberTiersParticipant } from './loyalty/member-tiers.participant';
import { startTravelApp, type TravelApp } from './travel-app';

/*
 * A second choreography, outside the order domain, written against the library's public entry only: a hotel
 * stay earns points in the ledger, and the points a tier. Nobody sends a command; the library's tracker keeps
 * one flow per trip from the events it observes.
 */
describe.each(databaseKinds())('loyalty points, a choreography the library tracks, on %s', (kind) => {
  let t: TravelApp;
  let hotels: HotelStaysParticipant;
  let tiers: MemberTiersParticipant;
  const stalls: FlowStalledEvent[] = [];

  beforeAll(async () => {
    t = await startTravelApp(kind, { features: [LoyaltyModule] });
    hotels = t.app.get(HotelStaysParticipant);
    tiers = t.app.get(MemberTiersParticipant);
    t.app.get(SagaEventReceivers).on(FlowStalledEvent, (e) => Promise.resolve(void stalls.push(e)));
  });

  afterAll(async () => {
    await t?.close();
  });

  const flowOf = (tripId: string) => t.orchestrator.store.findByCorrelation('loyalty-points', tripId);
  const ended = async (tripId: string, status: string): Promise<SagaState> =>
    (await waitFor(
      () => flowOf(tripId),
      (f) => f?.status === status,
      10_000,
    )) as SagaState;
  const ledger = (tripId: string) =>
    t.dataSource.query<{ points: number }[]>(`SELECT points FROM loyalty_ledger WHERE trip_id = $1`, [tripId]);

  it('ends COMPLETED once hotels, the ledger and tiers have each done their part', async () => {
    const trip = randomUUID();
    await hotels.checkOut(trip, 'ada', 4);
    const flow = await ended(trip, 'COMPLETED');
    expect(flow.steps.map((s) => [s.name, s.status])).toEqual([
      ['checkedOut', 'COMPLETED'],
      ['pointsCredited', 'COMPLETED'],
      ['tierReviewed', 'COMPLETED'],
    ]);
    expect(await ledger(trip)).toEqual([{ points: 400 }]);
    expect(await t.dataSource.query(`SELECT tier FROM loyalty_tiers WHERE member_id = 'ada'`)).toEqual([{ tier: 'silver' }]);
    expect((await t.orchestrator.store.history(flow.id)).filter((h) => h.step).map((h) => [h.step, h.to, h.reason])).toEqual([
      ['checkedOut', 'COMPLETED', 'GuestCheckedOutEvent'],
      ['pointsCredited', 'COMPLETED', 'PointsCreditedEvent'],
      ['tierReviewed', 'COMPLETED', 'TierReviewedEvent'],
    ]);
  });

  it('is undone by events when the ledger refuses the points: the stay is marked unrewarded', async () => {
    const trip = randomUUID();
    await hotels.checkOut(trip, 'frozen-bob', 2);
    const flow = await ended(trip, 'COMPENSATED');
    expect(flow.failureReason).toBe('PointsRefusedEvent: the account is frozen');
    expect(flow.steps.map((s) => s.status)).toEqual(['COMPENSATED', 'FAILED', 'SKIPPED']);
    expect(await ledger(trip)).toEqual([]);
    expect(await t.dataSource.query(`SELECT status FROM loyalty_stays WHERE trip_id = $1`, [trip])).toEqual([{ status: 'UNREWARDED' }]);
  });

  it('keeps an early event, and a duplicate credits nothing twice', async () => {
    const trip = randomUUID();
    // The tier's answer reaches the tracker before the credit it follows, and before the checkout itself.
    await t.orchestrator.recordFlowEvent(new TierReviewedEvent(trip, 'basic'));
    await t.orchestrator.recordFlowEvent(new PointsCreditedEvent(trip, 'cy', 100));
    expect((await flowOf(trip))?.steps.map((s) => s.status)).toEqual(['WAITING', 'COMPLETED', 'COMPLETED']);
    await t.app.get(SagaEventReceivers).deliver(new GuestCheckedOutEvent(trip, 'cy', 1));
    await t.app.get(SagaEventReceivers).deliver(new GuestCheckedOutEvent(trip, 'cy', 1));
    const flow = await ended(trip, 'COMPLETED');
    await waitFor(
      () => ledger(trip),
      (rows) => rows.length === 1,
      5_000,
    );
    expect(await ledger(trip)).toEqual([{ points: 100 }]);
    expect((await t.orchestrator.store.history(flow.id)).filter((h) => h.step === 'checkedOut')).toHaveLength(1);
  });

  it('stalls while tiers is down, nudges it, and completes once it answers the nudge', async () => {
    const trip = randomUUID();
    tiers.down = true;
    await hotels.checkOut(trip, 'dee', 1);
    await waitFor(
      () => flowOf(trip),
      (f) => f?.steps[1].status === 'COMPLETED',
      5_000,
    );
    await t.kit.advance(1_001);
    const stalled = await ended(trip, 'STALLED');
    expect(stalls.at(-1)).toMatchObject({
      flow: 'loyalty-points',
      key: trip,
      nudge: 1,
      waitingFor: [{ step: 'tierReviewed', participant: 'tiers', kind: 'completed', events: ['TierReviewedEvent'] }],
    });
    tiers.down = false;
    // The next reminder comes at twice the deadline; tiers answers it.
    await t.kit.advance(2_001);
    const done = await ended(trip, 'COMPLETED');
    expect(done.id).toBe(stalled.id);
    expect(stalls.filter((s) => s.key === trip).map((s) => s.nudge)).toEqual([1, 2]);
  });

  it('draws the flow as a diagram, each step with the participant that raises it', () => {
    const saga = t.app.get(SagaRegistry).require('loyalty-points');
    const diagram = renderSagaDiagram(saga.definition);
    expect(diagram).toContain('state "checkedOut: hotels raises GuestCheckedOutEvent" as checkedOut');
    expect(diagram).toContain('pointsCredited --> undo_checkedOut: PointsRefusedEvent');
    expect(diagram).toContain('tierReviewed --> Stalled: deadline passed');
  });
});
