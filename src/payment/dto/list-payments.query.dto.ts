import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsUUID } from 'class-validator';

export class ListPaymentsQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: "Only this order's payment" })
  @IsOptional()
  @IsUUID()
  orderId?: string;
}
