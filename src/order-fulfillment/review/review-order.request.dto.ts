import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, MaxLength } from 'class-validator';
import { IsCleanText } from '../../http/text-validators';
import { MAX_REVIEW_REASON, REVIEW_DECISIONS, type ReviewDecision } from './fraud-review.step';

/** Body of `POST /orders/:id/review`. */
export class ReviewOrderRequestDto {
  @ApiProperty({ enum: REVIEW_DECISIONS, example: 'approve' })
  @IsIn(REVIEW_DECISIONS)
  decision: ReviewDecision;

  @ApiProperty({
    example: 'customer confirmed by phone',
    maxLength: MAX_REVIEW_REASON,
    description: 'Recorded; a rejection cancels the order with it',
  })
  @IsString()
  @IsCleanText()
  @MaxLength(MAX_REVIEW_REASON)
  reason: string;
}
