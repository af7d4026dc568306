import { ApiProperty } from '@nestjs/swagger';

/** A catalog product as callers see it (`GET /products`, `GetProductsQuery`). */
export class ProductView {
  @ApiProperty({ example: 'SKU-001' })
  readonly sku: string;

  @ApiProperty({ example: 'Ceramic Mug' })
  readonly name: string;

  @ApiProperty({ type: 'integer', example: 1299, description: 'Unit price in integer cents' })
  readonly priceCents: number;

  @ApiProperty({ type: 'integer', example: 100, description: 'Units that can still be reserved' })
  readonly available: number;
}
