import type { SignalOutcome } from '../domain/saga-wait-transitions.js';

/** A saga, by its id, or by its type and business key (say `{ type: 'order-fulfillment', correlationId: orderId }`). */
export type SignalTarget = string | { type: string; correlationId: string };

/** What became of a signal: `SignalOutcome`, or `not-found` when there is no such saga. */
export interface SignalResult {
  outcome: SignalOutcome | 'not-found';
  /** Why, in words (also recorded in the saga's history unless `not-found`). */
  reason: string;
  sagaId?: string;
}

/** Whether the signal did something: `applied` (it ended the wait) or `kept` (it waits for the saga). */
export function signalAccepted(result: SignalResult): boolean {
  return result.outcome === 'applied' || result.outcome === 'kept';
}
