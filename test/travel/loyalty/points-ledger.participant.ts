import { Injectable, type OnModuleInit } from '@nestjs/common';
import { SagaEventReceivers, SagaOutbox } from 'sagaworks';
import { GuestCheckedOutEvent, PointsCreditedEvent, PointsRefusedEvent } from './loyalty.events';

const POINTS_PER_NIGHT = 100;

/** The ledger: credits a stay's points once per trip; a frozen account (`frozen-*`) takes none. */
@Injectable()
export class PointsLedgerParticipant implements OnModuleInit {
  constructor(
    private readonly receivers: SagaEventReceivers,
    private readonly outbox: SagaOutbox,
  ) {}

  onModuleInit(): void {
    this.receivers.on(GuestCheckedOutEvent, (e) => this.credit(e));
  }

  private credit({ tripId, memberId, nights }: GuestCheckedOutEvent): Promise<void> {
    return this.outbox.publish(async (sql) => {
      if (memberId.startsWith('frozen-')) return new PointsRefusedEvent(tripId, 'the account is frozen');
      const points = nights * POINTS_PER_NIGHT;
      await sql.query(`INSERT INTO loyalty_ledger (trip_id, member_id, points) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [
        tripId,
        memberId,
        points,
      ]);
      return new PointsCreditedEvent(tripId, memberId, points);
    });
  }
}
