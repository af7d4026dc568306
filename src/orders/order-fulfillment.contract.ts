/**
 * What the orders module asks of the saga that fulfills an order. Orders starts that saga, by this type name, in
 * the same transaction that stores the order, and hands it this data; the saga itself is defined elsewhere
 * (`order-fulfillment`), which depends on orders, never the reverse.
 */
export const ORDER_FULFILLMENT_SAGA = 'order-fulfillment';

export interface OrderLine {
  sku: string;
  quantity: number;
  unitPriceCents: number;
}

export interface OrderShippingAddress {
  line1: string;
  city: string;
  postalCode: string;
  country: string;
}

/** The saga's data when it starts: a snapshot of the order. */
export interface OrderFulfillmentData {
  orderId: string;
  customerId: string;
  items: OrderLine[];
  totalCents: number;
  /** The card token's id in the payment module's vault; the token itself is never in the saga's data. */
  paymentMethodId: string;
  shippingAddress: OrderShippingAddress;
  /** Set by the fraud review step when an admin approves a large order: the reviewer's reason. */
  fraudReviewApproval?: string;
  /** Set by the payment step. */
  paymentId?: string;
  /** Set by the shipping step. */
  shipmentId?: string;
  trackingNumber?: string;
}
