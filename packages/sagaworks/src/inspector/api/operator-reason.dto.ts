import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, IsString, MaxLength } from 'class-validator';

/** Optional body of retry and abort: why the operator acts, recorded in the history. */
export class OperatorReasonDto {
  @ApiPropertyOptional({ example: 'customer asked to cancel', maxLength: 500 })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() || undefined : value))
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}
