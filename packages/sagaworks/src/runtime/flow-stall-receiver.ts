import type { FlowStalledEvent } from '../definition/choreography-definition.js';

/** What a participant does again when a flow stalls waiting for its step (`completed`) or its undoing. */
export interface FlowStallHandlers {
  completed?: (key: string, event: FlowStalledEvent) => Promise<void>;
  compensated?: (key: string, event: FlowStalledEvent) => Promise<void>;
}

/**
 * A receiver of `FlowStalledEvent` for one participant of one flow: it runs the participant's handler when the
 * stall waits for that participant, and ignores the others' stalls. The handler must be idempotent (do the part
 * again if it was lost, and raise its event again either way):
 * `receivers.on(FlowStalledEvent, onFlowStalled('order-return', 'shipping', { completed: (orderId) => ... }))`.
 */
export function onFlowStalled(flow: string, participant: string, handlers: FlowStallHandlers): (event: FlowStalledEvent) => Promise<void> {
  return async (event) => {
    if (event.flow !== flow) return;
    for (const wait of event.waitingFor) {
      if (wait.participant === participant) await handlers[wait.kind]?.(event.key, event);
    }
  };
}
