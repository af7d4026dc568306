import { Injectable } from '@nestjs/common';
import type { IEvent } from '@nestjs/cqrs';
import { outboxPutSql, SagaOutbox } from 'sagaworks';
import { PaymentMethodProvidedEvent, PaymentMethodVault, PaymentMethodWithdrawnEvent } from '../../payment';

/** What the placing statement stores for the card token, and what to do once it committed. */
export interface PaymentMethodStore {
  /** Bound after the statement's own parameters. */
  params: readonly unknown[];
  /** The statement committed and wrote the order. */
  committed(): void;
}

/**
 * How the card token reaches the payment module with the order, inside the one statement that places it, and
 * how a cancelled order withdraws it. The saga only ever carries the token's id.
 */
export abstract class PaymentMethodHandoff {
  /** An SQL expression yielding the payment method id, its params starting at `$first`; once per written row. */
  abstract storeExpression(first: number): string;
  abstract store(paymentMethodId: string, token: string): PaymentMethodStore;
  /** Drops the token of an order that will not be charged; the events to publish with the cancellation. */
  abstract withdraw(paymentMethodId: string): Promise<IEvent[]>;
}

/** In one process: straight into the payment module's vault, in the same statement. */
@Injectable()
export class VaultPaymentMethodHandoff extends PaymentMethodHandoff {
  constructor(private readonly vault: PaymentMethodVault) {
    super();
  }

  storeExpression(first: number): string {
    return this.vault.storeExpression(`$${first}`, `$${first + 1}`);
  }

  store(paymentMethodId: string, token: string): PaymentMethodStore {
    return { params: [paymentMethodId, token], committed: () => undefined };
  }

  async withdraw(paymentMethodId: string): Promise<IEvent[]> {
    await this.vault.forget(paymentMethodId);
    return [];
  }
}

/**
 * When payment runs elsewhere: a `PaymentMethodProvidedEvent` put in this service's outbox by the same
 * statement, relayed once it commits. The token lives in the outbox only until the broker has it.
 */
@Injectable()
export class OutboxPaymentMethodHandoff extends PaymentMethodHandoff {
  constructor(private readonly outbox: SagaOutbox) {
    super();
  }

  storeExpression(first: number): string {
    return `CASE WHEN ${outboxPutSql(first + 1)} IS NOT NULL THEN $${first}::uuid END`;
  }

  store(paymentMethodId: string, token: string): PaymentMethodStore {
    const put = this.outbox.prepare(new PaymentMethodProvidedEvent(paymentMethodId, token));
    return { params: [paymentMethodId, ...put.params], committed: () => this.outbox.committed([put]) };
  }

  withdraw(paymentMethodId: string): Promise<IEvent[]> {
    return Promise.resolve([new PaymentMethodWithdrawnEvent(paymentMethodId)]);
  }
}
