import { Module } from '@nestjs/common';
import { SagaModule } from 'sagaworks';
import { HotelStaysParticipant } from './hotel-stays.participant';
import { loyaltyPointsFlow } from './loyalty-points.flow';
import { MemberTiersParticipant } from './member-tiers.participant';
import { PointsLedgerParticipant } from './points-ledger.participant';

/** The loyalty program: a choreography of three participants, and the flow the library tracks for it. */
@Module({
  imports: [SagaModule.forFeature([], { choreographies: [loyaltyPointsFlow] })],
  providers: [HotelStaysParticipant, PointsLedgerParticipant, MemberTiersParticipant],
})
export class LoyaltyModule {}
