import { correlate, defineChoreography, type FlowEventType } from 'sagaworks';
import { GuestCheckedOutEvent, PointsCreditedEvent, PointsRefusedEvent, StayUnrewardedEvent, TierReviewedEvent } from './loyalty.events';

const byTrip = (type: FlowEventType<{ tripId: string }>) => correlate(type, (e) => e.tripId);

/**
 * A stay earns points, and the points a tier: hotels, the ledger and tiers react to each other's events, and no
 * one commands them. A refused credit is undone by hotels (the stay is marked unrewarded).
 */
export const loyaltyPointsFlow = defineChoreography({
  type: 'loyalty-points',
  deadlineMs: 1_000,
  steps: [
    { name: 'checkedOut', participant: 'hotels', completedBy: [GuestCheckedOutEvent], compensatedBy: [StayUnrewardedEvent] },
    { name: 'pointsCredited', participant: 'ledger', completedBy: [PointsCreditedEvent], failedBy: [PointsRefusedEvent] },
    { name: 'tierReviewed', participant: 'tiers', completedBy: [TierReviewedEvent] },
  ],
  correlate: [GuestCheckedOutEvent, StayUnrewardedEvent, PointsCreditedEvent, PointsRefusedEvent, TierReviewedEvent].map(byTrip),
});
