import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsUUID } from 'class-validator';

export class ListShipmentsQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: "Only this order's shipment" })
  @IsOptional()
  @IsUUID()
  orderId?: string;
}
