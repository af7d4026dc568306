import { ApiProperty } from '@nestjs/swagger';

/** A shipment as callers see it (`GET /shipments`, `GetShipmentsQuery`). */
export class ShipmentView {
  @ApiProperty({ format: 'uuid' })
  readonly id: string;

  @ApiProperty({ format: 'uuid' })
  readonly orderId: string;

  @ApiProperty({ enum: ['CREATED', 'CANCELLED'] })
  readonly status: 'CREATED' | 'CANCELLED';

  @ApiProperty({ example: 'TRK-1A2B3C4D5E' })
  readonly trackingNumber: string;
}
