import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min, ValidateBy } from 'class-validator';
import { SagaStatus } from '../../domain/saga-status.js';
import { decodeSagaListCursor } from './saga-list-cursor.js';

/** Pages hold at most this many sagas: a page's cost is bounded, however many sagas there are. */
export const MAX_SAGA_PAGE = 100;
export const DEFAULT_SAGA_PAGE = 50;

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

  @ApiPropertyOptional({
    enum: ['true', 'false'],
    description: 'true: only sagas waiting at their current step (RUNNING, the step WAITING for a signal or a reply)',
  })
  @IsOptional()
  @IsIn(['true', 'false'])
  waiting?: 'true' | 'false';

  @ApiPropertyOptional({ default: DEFAULT_SAGA_PAGE, minimum: 1, maximum: MAX_SAGA_PAGE })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_SAGA_PAGE)
  limit?: number;

  @ApiPropertyOptional({ description: 'The `nextCursor` of the previous page; omit it for the first (newest) page' })
  @IsOptional()
  @ValidateBy({
    name: 'isSagaListCursor',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && decodeSagaListCursor(value) !== null,
      defaultMessage: () => 'cursor must be the nextCursor of an earlier page',
    },
  })
  cursor?: string;
}
