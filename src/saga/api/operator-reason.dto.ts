import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

/** Optional body of retry and abort: why the operator acts (recorded in the history for abort). */
export class OperatorReasonDto {
  @ApiPropertyOptional({ example: 'customer asked to cancel', maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}
