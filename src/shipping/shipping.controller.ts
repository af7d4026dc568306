import { Controller, Get, Query, UseGuards, UsePipes, ValidationPipe } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ReadTokenGuard } from 'sagaworks/inspector';
import { ListShipmentsQueryDto } from './dto/list-shipments.query.dto';
import { GetShipmentsQuery } from './queries/impl/get-shipments.query';
import { ShipmentView } from './queries/shipment.view';

/** Read-only view of booked shipments. */
@ApiTags('shipments')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'READ_TOKEN or ADMIN_TOKEN is set and no Bearer token was sent' })
@ApiForbiddenResponse({ description: 'The Bearer token is neither READ_TOKEN nor ADMIN_TOKEN' })
@Controller('shipments')
// The rule of the saga read API: the read or admin token once either is set, open otherwise.
@UseGuards(ReadTokenGuard)
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
