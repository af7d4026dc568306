/**
 * The order-return flow: a choreography, so no service commands another. Orders records the request, shipping
 * takes the parcel back, payment refunds, inventory restocks and orders marks the order RETURNED, each reacting
 * to the one before's event. Its participants know it by this type name, in the stall events the tracker sends.
 */
export const ORDER_RETURN_FLOW = 'order-return';

/** A return as the orders service keeps it (`order_returns`). */
export type OrderReturnStatus = 'REQUESTED' | 'RETURNED' | 'REFUSED';
