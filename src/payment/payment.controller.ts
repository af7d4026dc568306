import { Controller, Get, Query, UsePipes, ValidationPipe } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBadRequestResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ListPaymentsQueryDto } from './dto/list-payments.query.dto';
import { GetPaymentsQuery } from './queries/impl/get-payments.query';
import { PaymentView } from './queries/payment.view';

/** Read-only view of payments, for support and for checking that money is conserved. */
@ApiTags('payments')
@Controller('payments')
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
