import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { SagaStatus } from '../../domain/saga-status.js';

export class ListSagasQueryDto {
  @ApiPropertyOptional({ enum: Object.values(SagaStatus) })
  @IsOptional()
  @IsIn(Object.values(SagaStatus))
  status?: SagaStatus;

  @ApiPropertyOptional({ example: 'order-fulfillment' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  type?: string;

  @ApiPropertyOptional({ description: 'Business key, say an order id' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  correlationId?: string;

  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}
