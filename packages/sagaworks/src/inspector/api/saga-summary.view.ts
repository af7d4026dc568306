import { ApiProperty } from '@nestjs/swagger';
import type { SagaListPage, SagaSummary } from '../../persistence/saga-list-query.js';
import { encodeSagaListCursor } from './saga-list-cursor.js';
import { toSagaFields, type FlowWaits, type SagaView } from './saga.view.js';

/** A saga as the list shows it: the full view without its history (`GET /sagas/:id` has that). */
export type SagaSummaryView = Omit<SagaView, 'history'>;

/** `GET /sagas`: one page, newest first. */
export interface SagaPageView {
  items: SagaSummaryView[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

/** The page's shape for the OpenAPI document. */
export class SagaPageDoc {
  @ApiProperty({ description: 'Summaries: the saga row and its steps, no history', type: 'array', items: { type: 'object' } })
  items: SagaSummaryView[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next (older) page; null on the last page' })
  nextCursor: string | null;
}

export function toSagaSummaryView(s: SagaSummary, flows?: FlowWaits): SagaSummaryView {
  return toSagaFields(s, flows);
}

export function toSagaPageView(page: SagaListPage, flows?: FlowWaits): SagaPageView {
  return { items: page.items.map((s) => toSagaSummaryView(s, flows)), nextCursor: page.next ? encodeSagaListCursor(page.next) : null };
}
