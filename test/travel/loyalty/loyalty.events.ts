import type { IEvent } from '@nestjs/cqrs';

/** Hotels: the guest of a trip checked out after `nights` nights. */
export class GuestCheckedOutEvent implements IEvent {
  constructor(
    readonly tripId: string,
    readonly memberId: string,
    readonly nights: number,
  ) {}
}

/** Hotels: the stay earns nothing after all (its points were refused). */
export class StayUnrewardedEvent implements IEvent {
  constructor(readonly tripId: string) {}
}

/** Ledger: the stay's points were credited to the member. */
export class PointsCreditedEvent implements IEvent {
  constructor(
    readonly tripId: string,
    readonly memberId: string,
    readonly points: number,
  ) {}
}

/** Ledger: the member's account takes no points. */
export class PointsRefusedEvent implements IEvent {
  constructor(
    readonly tripId: string,
    readonly reason: string,
  ) {}
}

/** Tiers: the member's tier was worked out again from their points. */
export class TierReviewedEvent implements IEvent {
  constructor(
    readonly tripId: string,
    readonly tier: string,
  ) {}
}
