import { ApiProperty } from '@nestjs/swagger';

/** A payment as callers see it (`GET /payments`, `GetPaymentsQuery`). */
export class PaymentView {
  @ApiProperty({ format: 'uuid' })
  readonly id: string;

  @ApiProperty({ format: 'uuid' })
  readonly orderId: string;

  @ApiProperty({ type: 'integer', example: 4997, description: 'Integer cents' })
  readonly amountCents: number;

  @ApiProperty({ enum: ['CHARGED', 'DECLINED', 'REFUNDED'] })
  readonly status: 'CHARGED' | 'DECLINED' | 'REFUNDED';
}
