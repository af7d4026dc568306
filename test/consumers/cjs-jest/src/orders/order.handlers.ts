import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { Ledger } from './ledger.service';
import {
  ChargePaymentCommand,
  CustomerNotifiedEvent,
  NotifyCustomerCommand,
  PaymentChargedEvent,
  PaymentDeclinedEvent,
  PaymentRefundedEvent,
  RefundPaymentCommand,
  ReleaseStockCommand,
  ReserveStockCommand,
  StockReleasedEvent,
  StockReservedEvent,
} from './order.messages';

/** Payments above this are declined. */
export const PAYMENT_LIMIT_CENTS = 10_000;

@CommandHandler(ReserveStockCommand)
export class ReserveStockHandler implements ICommandHandler<ReserveStockCommand> {
  constructor(
    private readonly events: EventBus,
    private readonly ledger: Ledger,
  ) {}
  async execute({ sagaId }: ReserveStockCommand): Promise<void> {
    this.ledger.reserved.add(sagaId);
    this.events.publish(new StockReservedEvent(sagaId));
  }
}

@CommandHandler(ReleaseStockCommand)
export class ReleaseStockHandler implements ICommandHandler<ReleaseStockCommand> {
  constructor(
    private readonly events: EventBus,
    private readonly ledger: Ledger,
  ) {}
  async execute({ sagaId }: ReleaseStockCommand): Promise<void> {
    this.ledger.released.add(sagaId);
    this.events.publish(new StockReleasedEvent(sagaId));
  }
}

@CommandHandler(ChargePaymentCommand)
export class ChargePaymentHandler implements ICommandHandler<ChargePaymentCommand> {
  constructor(
    private readonly events: EventBus,
    private readonly ledger: Ledger,
  ) {}
  async execute({ sagaId, amountCents }: ChargePaymentCommand): Promise<void> {
    if (amountCents > PAYMENT_LIMIT_CENTS) {
      this.events.publish(new PaymentDeclinedEvent(sagaId, 'over the limit'));
      return;
    }
    this.ledger.charged.add(sagaId);
    this.events.publish(new PaymentChargedEvent(sagaId));
  }
}

@CommandHandler(RefundPaymentCommand)
export class RefundPaymentHandler implements ICommandHandler<RefundPaymentCommand> {
  constructor(
    private readonly events: EventBus,
    private readonly ledger: Ledger,
  ) {}
  async execute({ sagaId }: RefundPaymentCommand): Promise<void> {
    this.ledger.refunded.add(sagaId);
    this.events.publish(new PaymentRefundedEvent(sagaId));
  }
}

@CommandHandler(NotifyCustomerCommand)
export class NotifyCustomerHandler implements ICommandHandler<NotifyCustomerCommand> {
  constructor(
    private readonly events: EventBus,
    private readonly ledger: Ledger,
  ) {}
  async execute({ sagaId }: NotifyCustomerCommand): Promise<void> {
    this.ledger.notified.add(sagaId);
    this.events.publish(new CustomerNotifiedEvent(sagaId));
  }
}
