import { Controller, Get } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { GetProductsQuery } from './queries/impl/get-products.query';
import { ProductView } from './queries/product.view';

/** The catalog with live stock. */
@ApiTags('products')
@Controller('products')
export class InventoryController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get()
  @ApiOkResponse({ type: ProductView, isArray: true, description: 'Every product, sorted by SKU' })
  list(): Promise<ProductView[]> {
    return this.queryBus.execute(new GetProductsQuery());
  }
}
