import { Controller, Get, Query, UsePipes, ValidationPipe } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBadRequestResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ListShipmentsQueryDto } from './dto/list-shipments.query.dto';
import { GetShipmentsQuery } from './queries/impl/get-shipments.query';
import { ShipmentView } from './queries/shipment.view';

/** Read-only view of booked shipments. */
@ApiTags('shipments')
@Controller('shipments')
@UsePipes(new ValidationPipe({ transform: true, whitelist: true, forbidNonWhitelisted: true }))
export class ShippingController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get()
  @ApiOkResponse({ type: ShipmentView, isArray: true, description: "An order's shipment, or the latest 100" })
  @ApiBadRequestResponse({ description: 'orderId is not a UUID' })
  list(@Query() query: ListShipmentsQueryDto): Promise<ShipmentView[]> {
    return this.queryBus.execute(new GetShipmentsQuery(query.orderId));
  }
}
