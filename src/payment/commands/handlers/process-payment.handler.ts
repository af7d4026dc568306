import { Inject, Logger, Optional } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { SagaOutbox, type SqlRunner, sqlRunnerFor } from 'sagaworks';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { PaymentStatus } from '../../entities/payment.entity';
import { PaymentChargedEvent } from '../../events/payment-charged.event';
import { PaymentDeclinedEvent } from '../../events/payment-declined.event';
import { PaymentProvider } from '../../provider/payment-provider';
import { ProcessPaymentCommand } from '../impl/process-payment.command';
import { PaymentMethodVault } from '../../vault/payment-method-vault';
import { prepared } from '../../../database/prepared-statement';
import { DEPLOYMENT, type Deployment } from '../../../deployment/deployment';
import { PaymentMethodOnItsWayError } from '../../handoff/payment-method-on-its-way.error';

const INT4_MAX = 2_147_483_647;
const FIND_SQL = prepared(`SELECT id, status, reason FROM payments WHERE order_id = $1`);
/**
 * Records the outcome and deletes the token in one statement: once the order has a payment row (ours, or a
 * concurrent repeat's) every later charge command is answered from that row, so the token is never needed again.
 */
const RECORD_SQL = prepared(`WITH p AS (
         INSERT INTO payments (order_id, saga_id, amount_cents, status, reason, provider_ref)
         VALUES ($1, $2, $3, $4, $5, $7)
         ON CONFLICT (order_id) DO NOTHING
         RETURNING id, status, reason
       ), forgotten AS (DELETE FROM payment_methods WHERE id = $6::uuid)
       SELECT id, status, reason FROM p`);

interface PaymentRow {
  id: string;
  status: PaymentStatus;
  reason: string | null;
}

interface FoundPayment {
  payment: PaymentRow | undefined;
  token?: string;
}

/**
 * Charges an order at most once. The stored row decides repeats: a charge never reaches the provider when the
 * order already has a payment row, including a refund's tombstone. The card token is read from the vault by the
 * command's payment method id, and deleted from it when the outcome is recorded.
 */
@CommandHandler(ProcessPaymentCommand)
export class ProcessPaymentHandler implements ICommandHandler<ProcessPaymentCommand, void> {
  private readonly logger = new Logger(ProcessPaymentHandler.name);
  /** The payment row of order $1, or none and the token of payment method $2, in one statement. */
  private readonly findWithTokenSql: string;
  /** Reads outside the outbox's write, straight on the pool. */
  private readonly sql: SqlRunner;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    private readonly outbox: SagaOutbox,
    private readonly provider: PaymentProvider,
    private readonly vault: PaymentMethodVault,
    @Optional() @Inject(DEPLOYMENT) private readonly deployment?: Deployment,
  ) {
    this.sql = sqlRunnerFor(dataSource);
    this.findWithTokenSql = prepared(`SELECT p.id, p.status, p.reason,
        CASE WHEN p.id IS NULL THEN ${vault.tokenExpression('$2')} END AS token
      FROM (SELECT $1::uuid AS order_id) o LEFT JOIN payments p ON p.order_id = o.order_id`);
  }

  async execute(command: ProcessPaymentCommand): Promise<void> {
    const { amountCents } = command;
    const invalidAmount = !Number.isSafeInteger(amountCents) || amountCents < 0 || amountCents > INT4_MAX;
    // In one process the token is read with the payment row, in one round trip; sent by message, it is looked
    // up on its own once the order is known to have no payment yet.
    const local = !invalidAmount && !this.deployment?.split;
    const first = await this.find(command.orderId, this.sql, local ? command.paymentMethodId : undefined);
    const existing = first.payment;
    if (existing) return this.outbox.publish(() => Promise.resolve(this.toEvent(command, existing)));

    const paymentToken = invalidAmount ? undefined : local ? first.token : await this.sentPaymentToken(command.paymentMethodId);
    if (!invalidAmount && paymentToken === undefined) {
      // Deleted by a concurrent repeat that recorded the outcome, or by a refund's tombstone: their row answers.
      const recorded = (await this.find(command.orderId)).payment;
      if (recorded) return this.outbox.publish(() => Promise.resolve(this.toEvent(command, recorded)));
    }
    const outcome = invalidAmount
      ? ({ status: 'declined', reason: `invalid amount ${amountCents}` } as const)
      : paymentToken === undefined
        ? ({ status: 'declined', reason: 'unknown payment method' } as const)
        : await this.provider.charge({ idempotencyKey: command.orderId, amountCents, paymentToken });
    if (outcome.status === 'no-response') {
      // Nothing is written: the saga's deadline retries this command, or compensates with a refund by key.
      this.logger.warn(`payment provider did not answer for order ${command.orderId} (saga ${command.sagaId})`);
      return;
    }

    await this.outbox.publish(async (sql) => {
      const inserted = await sql.query<PaymentRow[]>(RECORD_SQL, [
        command.orderId,
        command.sagaId,
        invalidAmount ? 0 : amountCents,
        outcome.status === 'approved' ? 'CHARGED' : 'DECLINED',
        outcome.status === 'declined' ? outcome.reason : null,
        command.paymentMethodId,
        outcome.status === 'approved' ? (outcome.reference ?? null) : null,
      ]);
      if (inserted[0]) return this.toEvent(command, inserted[0]);
      // Another command for this order wrote first, between our read and our insert (a concurrent repeat, or a
      // refund's tombstone): its row stands. A repeat charged under the same idempotency key, so there is one
      // charge; if the row is anything but CHARGED, our charge must not stay at the provider.
      const winner = (await this.find(command.orderId, sql)).payment;
      if (!winner) throw new Error(`payment for order ${command.orderId} conflicted but cannot be read`);
      if (outcome.status === 'approved' && winner.status !== 'CHARGED') await this.provider.refund(command.orderId);
      return this.toEvent(command, winner);
    });
  }

  /**
   * When the orders service runs elsewhere, it sends the token by message, and one that has not arrived yet is
   * waited for. (In one process the token was stored with the order, so an absent one is gone.)
   */
  private async sentPaymentToken(paymentMethodId: string): Promise<string | undefined> {
    const sent = await this.vault.lookUpSent(paymentMethodId);
    if (sent === 'on-its-way') throw new PaymentMethodOnItsWayError(paymentMethodId);
    return sent === 'gone' ? undefined : sent.token;
  }

  /** The order's payment row, if any; with `paymentMethodId`, also the vault's token when there is no row. */
  private async find(orderId: string, sql: SqlRunner = this.sql, paymentMethodId?: string): Promise<FoundPayment> {
    if (paymentMethodId === undefined) {
      const rows = await sql.query<PaymentRow[]>(FIND_SQL, [orderId]);
      return { payment: rows[0] };
    }
    const [row] = await sql.query<(Partial<PaymentRow> & { token: string | null })[]>(this.findWithTokenSql, [orderId, paymentMethodId]);
    return row.id ? { payment: row as PaymentRow } : { payment: undefined, token: row.token ?? undefined };
  }

  // The command's sagaId is echoed, not the stored one: the outcome answers this command.
  private toEvent(command: ProcessPaymentCommand, row: PaymentRow): PaymentChargedEvent | PaymentDeclinedEvent {
    switch (row.status) {
      case 'CHARGED':
        return new PaymentChargedEvent(command.sagaId, command.orderId, row.id);
      case 'DECLINED':
        return new PaymentDeclinedEvent(command.sagaId, command.orderId, row.reason ?? 'payment declined');
      case 'REFUNDED':
      case 'VOIDED':
        return new PaymentDeclinedEvent(command.sagaId, command.orderId, 'payment was cancelled');
    }
  }
}
