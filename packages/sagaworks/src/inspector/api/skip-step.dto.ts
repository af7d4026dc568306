import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

/** Body of a skip: the reason is mandatory, since the step is declared undone by hand and audited. */
export class SkipStepDto {
  @ApiProperty({ example: 'refunded by hand in the provider dashboard, ticket OPS-42', maxLength: 500 })
  // Blank is no reason: trimmed before the check.
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  reason: string;
}
