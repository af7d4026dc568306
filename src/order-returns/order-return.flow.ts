import { correlate, defineChoreography, type FlowEventType } from 'sagaworks';
import { ReturnRestockedEvent } from '../inventory';
import { ORDER_RETURN_FLOW, OrderReturnedEvent, ReturnClosedEvent, ReturnRequestedEvent } from '../orders';
import { ReturnRefundedEvent, ReturnRefundRefusedEvent } from '../payment';
import { ShipmentReturnedEvent, ShipmentReturnReversedEvent } from '../shipping';

const byOrder = (type: FlowEventType<{ orderId: string }>) => correlate(type, (e) => e.orderId);

/**
 * A returned order, as its services choreograph it: orders records the request, shipping takes the parcel back,
 * payment refunds, inventory restocks, orders marks the order RETURNED. A refused refund is undone by events:
 * shipping sends the parcel back and orders closes the request (the order stays CONFIRMED). The tracker only
 * observes; it stalls the flow when an expected event is late and nudges the participant that owes it.
 */
export const orderReturnFlow = defineChoreography({
  type: ORDER_RETURN_FLOW,
  steps: [
    { name: 'requested', participant: 'orders', completedBy: [ReturnRequestedEvent], compensatedBy: [ReturnClosedEvent] },
    { name: 'parcelReturned', participant: 'shipping', completedBy: [ShipmentReturnedEvent], compensatedBy: [ShipmentReturnReversedEvent] },
    { name: 'refunded', participant: 'payment', completedBy: [ReturnRefundedEvent], failedBy: [ReturnRefundRefusedEvent] },
    { name: 'restocked', participant: 'inventory', completedBy: [ReturnRestockedEvent] },
    { name: 'orderReturned', participant: 'orders', completedBy: [OrderReturnedEvent] },
  ],
  correlate: [
    ReturnRequestedEvent,
    ShipmentReturnedEvent,
    ReturnRefundedEvent,
    ReturnRefundRefusedEvent,
    ReturnRestockedEvent,
    OrderReturnedEvent,
    ShipmentReturnReversedEvent,
    ReturnClosedEvent,
  ].map(byOrder),
});
