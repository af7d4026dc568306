import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

/** Body of a skip: the reason is mandatory, since the step is declared undone by hand and audited. */
export class SkipStepDto {
  @ApiProperty({ example: 'refunded by hand in the provider dashboard, ticket OPS-42', maxLength: 500 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  reason: string;
}
