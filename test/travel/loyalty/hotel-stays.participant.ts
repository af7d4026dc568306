import { Injectable, type OnModuleInit } from '@nestjs/common';
import { FlowStalledEvent, onFlowStalled, SagaEventReceivers, SagaOutbox } from 'sagaworks';
import { GuestCheckedOutEvent, PointsRefusedEvent, StayUnrewardedEvent } from './loyalty.events';

/** Hotels: records a checkout (the flow's first event) and, when its points are refused, marks the stay unrewarded. */
@Injectable()
export class HotelStaysParticipant implements OnModuleInit {
  constructor(
    private readonly receivers: SagaEventReceivers,
    private readonly outbox: SagaOutbox,
  ) {}

  onModuleInit(): void {
    this.receivers.on(PointsRefusedEvent, ({ tripId }) => this.unreward(tripId));
    this.receivers.on(FlowStalledEvent, onFlowStalled('loyalty-points', 'hotels', { compensated: (tripId) => this.unreward(tripId) }));
  }

  checkOut(tripId: string, memberId: string, nights: number): Promise<void> {
    return this.outbox.publish(async (sql) => {
      await sql.query(
        `INSERT INTO loyalty_stays (trip_id, member_id, nights, status) VALUES ($1, $2, $3, 'CHECKED_OUT') ON CONFLICT DO NOTHING`,
        [tripId, memberId, nights],
      );
      return new GuestCheckedOutEvent(tripId, memberId, nights);
    });
  }

  private unreward(tripId: string): Promise<void> {
    return this.outbox.publish(async (sql) => {
      await sql.query(`UPDATE loyalty_stays SET status = 'UNREWARDED' WHERE trip_id = $1`, [tripId]);
      return new StayUnrewardedEvent(tripId);
    });
  }
}
