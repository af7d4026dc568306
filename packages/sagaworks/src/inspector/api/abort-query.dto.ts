import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';

export class AbortQueryDto {
  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'Answer with the compensation plan and change nothing' })
  @IsOptional()
  @IsIn(['true', 'false'])
  dryRun?: 'true' | 'false';
}
