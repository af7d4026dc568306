export const OrderStatus = { PENDING: 'PENDING', CONFIRMED: 'CONFIRMED', CANCELLED: 'CANCELLED', RETURNED: 'RETURNED' } as const;
export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];
