import { Injectable, type OnModuleInit } from '@nestjs/common';
import { FlowStalledEvent, onFlowStalled, SagaEventReceivers, SagaOutbox } from 'sagaworks';
import { PointsCreditedEvent, TierReviewedEvent } from './loyalty.events';

/** Tiers: works a member's tier out from the ledger. `down` makes it drop what it gets, as a crashed service would. */
@Injectable()
export class MemberTiersParticipant implements OnModuleInit {
  down = false;

  constructor(
    private readonly receivers: SagaEventReceivers,
    private readonly outbox: SagaOutbox,
  ) {}

  onModuleInit(): void {
    this.receivers.on(PointsCreditedEvent, ({ tripId, memberId }) => this.review(tripId, memberId));
    this.receivers.on(FlowStalledEvent, onFlowStalled('loyalty-points', 'tiers', { completed: (tripId) => this.reviewTrip(tripId) }));
  }

  /** A nudge names the trip only: its member is the one credited for it. */
  private reviewTrip(tripId: string): Promise<void> {
    return this.review(tripId, null);
  }

  private review(tripId: string, credited: string | null): Promise<void> {
    if (this.down) return Promise.resolve();
    return this.outbox.publish(async (sql) => {
      const memberId =
        credited ??
        (await sql.query<{ member_id: string }[]>(`SELECT member_id FROM loyalty_ledger WHERE trip_id = $1`, [tripId]))[0]?.member_id;
      if (!memberId) return null;
      const [{ total }] = await sql.query<{ total: number }[]>(
        `SELECT coalesce(sum(points), 0)::int AS total FROM loyalty_ledger WHERE member_id = $1`,
        [memberId],
      );
      const tier = total >= 1_000 ? 'gold' : total >= 300 ? 'silver' : 'basic';
      await sql.query(`INSERT INTO loyalty_tiers (member_id, tier) VALUES ($1, $2) ON CONFLICT (member_id) DO UPDATE SET tier = $2`, [
        memberId,
        tier,
      ]);
      return new TierReviewedEvent(tripId, tier);
    });
  }
}
