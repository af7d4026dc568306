// Commands carry the saga id; every reply event echoes it.
export class ReserveStockCommand {
  constructor(
    public readonly sagaId: string,
    public readonly sku: string,
  ) {}
}
export class ReleaseStockCommand {
  constructor(public readonly sagaId: string) {}
}
export class ChargePaymentCommand {
  constructor(
    public readonly sagaId: string,
    public readonly amountCents: number,
  ) {}
}
export class RefundPaymentCommand {
  constructor(public readonly sagaId: string) {}
}
export class NotifyCustomerCommand {
  constructor(public readonly sagaId: string) {}
}

export class StockReservedEvent {
  constructor(public readonly sagaId: string) {}
}
export class StockReleasedEvent {
  constructor(public readonly sagaId: string) {}
}
export class PaymentChargedEvent {
  constructor(public readonly sagaId: string) {}
}
export class PaymentDeclinedEvent {
  constructor(
    public readonly sagaId: string,
    public readonly reason: string,
  ) {}
}
export class PaymentRefundedEvent {
  constructor(public readonly sagaId: string) {}
}
export class CustomerNotifiedEvent {
  constructor(public readonly sagaId: string) {}
}
