import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { IsCleanText } from '../../http/text-validators';

/** `POST /orders/:id/returns`: the body is optional. */
export class RequestReturnRequestDto {
  @ApiPropertyOptional({ example: 'wrong size', description: 'Why the customer returns the order (kept by orders, not shown)' })
  @IsOptional()
  @IsString()
  @IsCleanText()
  @MaxLength(500)
  reason?: string;
}
