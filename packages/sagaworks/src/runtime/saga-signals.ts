import { Injectable } from '@nestjs/common';
import { SagaOrchestrator } from './saga-orchestrator.js';
import type { SignalResult, SignalTarget } from './saga-signal.js';

/**
 * Sends signals to sagas that wait for them (a step with `wait: { signal }`): an approval, a decision, a
 * webhook. `signal` says what became of it; only `applied` and `kept` change the saga.
 *
 * ```ts
 * const result = await signals.signal({ type: 'order-fulfillment', correlationId: orderId }, 'fraudReview', { decision: 'approve' });
 * if (!signalAccepted(result)) throw new ConflictException(result.reason);
 * ```
 */
@Injectable()
export class SagaSignals {
  constructor(private readonly sagas: SagaOrchestrator) {}

  signal(target: SignalTarget, name: string, payload?: unknown): Promise<SignalResult> {
    return this.sagas.signal(target, name, payload);
  }
}
