import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { SagaEventReceivers } from 'sagaworks';
import { PaymentMethodVault } from '../vault/payment-method-vault';
import { PaymentMethodProvidedEvent, PaymentMethodWithdrawnEvent } from './payment-method-handoff.events';

/**
 * Takes in the card tokens the orders service hands over when the services run apart. A receiver, not an event
 * handler: the message is acknowledged only once the vault stored it, so a database outage delays a token but
 * never loses one.
 */
@Injectable()
export class PaymentMethodReceiver implements OnModuleInit, OnModuleDestroy {
  private readonly undo: (() => void)[] = [];

  constructor(
    private readonly receivers: SagaEventReceivers,
    private readonly vault: PaymentMethodVault,
  ) {}

  onModuleInit(): void {
    this.undo.push(
      this.receivers.on(PaymentMethodProvidedEvent, (e) => this.vault.receive(e.paymentMethodId, e.token)),
      this.receivers.on(PaymentMethodWithdrawnEvent, (e) => this.vault.withdraw(e.paymentMethodId)),
    );
  }

  onModuleDestroy(): void {
    for (const undo of this.undo.splice(0)) undo();
  }
}
