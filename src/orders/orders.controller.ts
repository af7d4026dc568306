import {
  BadRequestException,
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  Res,
} from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { PlaceOrderCommand } from './commands/impl/place-order.command';
import { PlaceOrderRequestDto } from './dto/place-order.request.dto';
import { RequestReturnCommand, type RequestReturnResult } from './commands/impl/request-return.command';
import { RequestReturnRequestDto } from './dto/request-return.request.dto';
import type { OrderView } from './order.view';
import { SagaOrchestrator } from 'sagaworks';
import { GetOrderQuery } from './queries/impl/get-order.query';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_\-:.]{1,200}$/;
const MAX_WAIT_SECONDS = 30;

/** `Prefer: wait=5` -> 5 (capped); anything else -> 0. */
function parsePreferWait(prefer: string | undefined): number {
  const match = /(?:^|[,;\s])wait=(\d+)/i.exec(prefer ?? '');
  return match ? Math.min(Number(match[1]), MAX_WAIT_SECONDS) : 0;
}

function checkIdempotencyKey(key: string | undefined): void {
  if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
    throw new BadRequestException(['Idempotency-Key header must be 1-200 characters of letters, digits, _ - : .']);
  }
}

@ApiTags('orders')
@Controller('orders')
export class OrdersController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
    private readonly sagas: SagaOrchestrator,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'The same key returns the same order and starts no second saga' })
  @ApiHeader({
    name: 'Prefer',
    required: false,
    description: '`wait=<seconds>` (at most 30): answer with the settled order if its saga ends in time',
  })
  @ApiCreatedResponse({ description: '{ id, status: "PENDING", sagaId }' })
  @ApiBadRequestResponse({ description: 'A bad field, named in `message`; nothing is written' })
  async place(
    @Body() body: PlaceOrderRequestDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Headers('prefer') prefer: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ id: string; status: string; sagaId: string } | OrderView> {
    const waitSeconds = parsePreferWait(prefer);
    checkIdempotencyKey(idempotencyKey);
    const { order, replayed } = await this.commandBus.execute(
      new PlaceOrderCommand(
        {
          customerId: body.customerId,
          items: body.items.map((i) => ({ sku: i.sku, quantity: i.quantity })),
          paymentToken: body.paymentToken,
          shippingAddress: {
            line1: body.shippingAddress.line1,
            city: body.shippingAddress.city,
            postalCode: body.shippingAddress.postalCode,
            country: body.shippingAddress.country,
          },
        },
        idempotencyKey,
      ),
    );
    if (replayed) res.setHeader('Idempotent-Replayed', 'true');
    if (waitSeconds > 0) {
      // RFC 7240: answer with the outcome if it comes in time, else as if no preference was given.
      const ended = await this.sagas.waitForEnd(order.sagaId, waitSeconds * 1000);
      if (ended) {
        res.setHeader('Preference-Applied', `wait=${waitSeconds}`);
        return (await this.queryBus.execute(new GetOrderQuery(order.id))) as OrderView;
      }
    }
    return { id: order.id, status: order.status, sagaId: order.sagaId };
  }

  @Post(':id/returns')
  @HttpCode(202)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'The same key answers with the same return' })
  @ApiAcceptedResponse({
    description: '{ orderId, status: "REQUESTED" }: the order-return flow has begun (GET /sagas?correlationId=<orderId>)',
  })
  @ApiBadRequestResponse({ description: 'A bad id, reason or Idempotency-Key, named in `message`; nothing is written' })
  @ApiNotFoundResponse({ description: 'No such order' })
  @ApiConflictResponse({ description: 'The order is not CONFIRMED, or already has a return' })
  async requestReturn(
    @Param('id', new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException(['id must be a UUID']) })) id: string,
    @Body() body: RequestReturnRequestDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ orderId: string; status: string }> {
    checkIdempotencyKey(idempotencyKey);
    const result: RequestReturnResult = await this.commandBus.execute(new RequestReturnCommand(id, body?.reason, idempotencyKey));
    if (result.replayed) res.setHeader('Idempotent-Replayed', 'true');
    return { orderId: result.orderId, status: result.status };
  }

  @Get(':id')
  @ApiOkResponse({ description: '{ id, status, totalCents, items, sagaId, failureReason? }' })
  @ApiNotFoundResponse()
  async get(@Param('id', new ParseUUIDPipe()) id: string): Promise<OrderView> {
    const order = await this.queryBus.execute(new GetOrderQuery(id));
    if (!order) throw new NotFoundException(`order ${id} not found`);
    return order;
  }
}
