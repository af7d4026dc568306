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
import { ListPaymentsQueryDto } from './dto/list-payments.query.dto';
import { GetPaymentsQuery } from './queries/impl/get-payments.query';
import { PaymentView } from './queries/payment.view';

/** Read-only view of payments, for support and for checking that money is conserved. */
@ApiTags('payments')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'READ_TOKEN or ADMIN_TOKEN is set and no Bearer token was sent' })
@ApiForbiddenResponse({ description: 'The Bearer token is neither READ_TOKEN nor ADMIN_TOKEN' })
@Controller('payments')
// The rule of the saga read API: the read or admin token once either is set, open otherwise.
@UseGuards(ReadTokenGuard)
@UsePipes(new ValidationPipe({ transform: true, whitelist: true, forbidNonWhitelisted: true }))
export class PaymentController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get()
  @ApiOkResponse({ type: PaymentView, isArray: true, description: "An order's payment, or the latest 100" })
  @ApiBadRequestResponse({ description: 'orderId is not a UUID' })
  list(@Query() query: ListPaymentsQueryDto): Promise<PaymentView[]> {
    return this.queryBus.execute(new GetPaymentsQuery(query.orderId));
  }
}
