import { AdminTokenGuard } from 'sagaworks/inspector';
import {
  Body,
  ConflictException,
  Controller,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  UseGuards,
} from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { SagaSignals } from 'sagaworks';
import { GetOrderQuery } from '../../orders';
import { FRAUD_REVIEW_SETTINGS } from './fraud-review-settings.token';
import { FRAUD_REVIEW, type FraudReviewSettings, type FraudReviewSignal, needsFraudReview } from './fraud-review.step';
import { ReviewOrderRequestDto } from './review-order.request.dto';

/** What a review call did: ended the wait (`applied`), or is kept until the saga reaches it (`kept`). */
export interface ReviewAnswer {
  orderId: string;
  sagaId: string;
  decision: FraudReviewSignal['decision'];
  outcome: 'applied' | 'kept';
  reason: string;
}

/** An admin's decision on a large order waiting for its fraud review. */
@ApiTags('orders')
@ApiBearerAuth()
@Controller('orders')
export class OrderReviewController {
  constructor(
    private readonly queryBus: QueryBus,
    private readonly signals: SagaSignals,
    @Inject(FRAUD_REVIEW_SETTINGS) private readonly settings: FraudReviewSettings,
  ) {}

  @Post(':id/review')
  @HttpCode(202)
  // Before any pipe: a refused caller learns nothing about the order or the body.
  @UseGuards(AdminTokenGuard)
  @ApiAcceptedResponse({ description: 'approve: the charge follows; reject: the stock is released and the order cancelled' })
  @ApiBadRequestResponse({ description: 'decision is not approve or reject, or reason is missing, blank or over 500 characters' })
  @ApiUnauthorizedResponse({ description: 'No Bearer token' })
  @ApiForbiddenResponse({ description: 'The token is not ADMIN_TOKEN, or ADMIN_TOKEN is unset (the action is disabled)' })
  @ApiNotFoundResponse({ description: 'No such order' })
  @ApiConflictResponse({ description: 'The order is not waiting for a review: decided, timed out, ended, or below the threshold' })
  async review(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: ReviewOrderRequestDto): Promise<ReviewAnswer> {
    const order = await this.queryBus.execute(new GetOrderQuery(id));
    if (!order) throw new NotFoundException(`order ${id} not found`);
    // Checked first: a signal for an order whose saga has not reached the review yet would be kept, even though
    // the review step will be skipped.
    if (!needsFraudReview(order.totalCents, this.settings)) {
      throw new ConflictException(
        `order ${id} needs no fraud review: its total of ${order.totalCents} cents is below the threshold of ${this.settings.thresholdCents}`,
      );
    }
    const payload: FraudReviewSignal = { decision: body.decision, reason: body.reason };
    const result = await this.signals.signal(order.sagaId, FRAUD_REVIEW, payload);
    switch (result.outcome) {
      case 'applied':
      case 'kept':
        return { orderId: id, sagaId: order.sagaId, decision: body.decision, outcome: result.outcome, reason: result.reason };
      case 'not-found':
        throw new NotFoundException(`order ${id} has no saga: ${result.reason}`);
      default:
        throw new ConflictException(`order ${id} is not waiting for a fraud review: ${result.reason}`);
    }
  }
}
