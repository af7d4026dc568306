import type { IEvent } from '@nestjs/cqrs';
import type { SagaStatus } from '../domain/saga-status.js';

/** Published once a saga reaches a terminal status (`COMPLETED`, `COMPENSATED` or `FAILED`). */
export class SagaEndedEvent implements IEvent {
  constructor(
    public readonly sagaId: string,
    public readonly type: string,
    public readonly correlationId: string,
    public readonly status: SagaStatus,
    public readonly failureReason: string | null,
  ) {}
}
