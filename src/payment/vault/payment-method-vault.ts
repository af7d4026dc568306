import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { prepared } from '../../database/prepared-statement';

const STORE_SQL = prepared(`SELECT payment_method_store($1::uuid, $2::text) AS id`);
const RESOLVE_SQL = prepared(`SELECT token FROM payment_methods WHERE id = $1`);
const FORGET_SQL = prepared(`DELETE FROM payment_methods WHERE id = $1`);
// Kept only at the first message about the id: see CreatePaymentMethodReceipts1764000000600.
const RECEIVE_SQL = prepared(`WITH first AS (
    INSERT INTO payment_method_receipts (id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING id
  ) INSERT INTO payment_methods (id, token) SELECT id, $2 FROM first ON CONFLICT DO NOTHING`);
const NOTE_RECEIPT_SQL = prepared(`INSERT INTO payment_method_receipts (id) VALUES ($1) ON CONFLICT DO NOTHING`);
const LOOKUP_SQL = prepared(`SELECT (SELECT token FROM payment_methods WHERE id = $1) AS token,
    EXISTS (SELECT 1 FROM payment_method_receipts WHERE id = $1) AS received`);

/** A token sent by message: here, gone (used or withdrawn), or not arrived yet. */
export type SentPaymentMethod = { token: string } | 'gone' | 'on-its-way';

/** A SQL parameter placeholder, `$1` .. `$99`. */
const PLACEHOLDER = /^\$[1-9][0-9]?$/;

/**
 * The payment module's vault for card tokens, so that no saga row, history line or command carries one: the
 * token is stored here when the order is placed and everything after it refers to it by id.
 *
 * A token is deleted as soon as the payment no longer needs it, in the same statement that records why: when a
 * charge's outcome (charged or declined) is recorded, and when a refund leaves its row. A repeat of the charge
 * command is answered from the payment row (charges are idempotent on the order id), and a refund needs no
 * token, so after either the token is dead weight whose only use would be to a thief. An order that never
 * reaches the payment step (stock ran out) forgets its token when it is cancelled (`forget`).
 */
@Injectable()
export class PaymentMethodVault {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Stores a token on its own; returns the id to refer to it by. */
  async store(token: string): Promise<string> {
    const rows = await this.dataSource.query<{ id: string }[]>(STORE_SQL, [randomUUID(), token]);
    return rows[0].id;
  }

  /**
   * A SQL expression that stores the token `tokenParam` under the id `idParam` and yields the id, for a caller's
   * own statement: the token then commits (or not) with the caller's write, in one statement. Put it where it is
   * evaluated once per row written, such as a RETURNING list, so a statement that writes nothing stores nothing.
   */
  storeExpression(idParam: string, tokenParam: string): string {
    if (!PLACEHOLDER.test(idParam) || !PLACEHOLDER.test(tokenParam)) throw new Error('storeExpression takes parameter placeholders ($n)');
    return `payment_method_store(${idParam}::uuid, ${tokenParam}::text)`;
  }

  /**
   * A SQL expression that yields the token stored under the id `idParam` (NULL once it is gone), for a caller's own
   * read: the token then comes in the same round trip as what the caller reads beside it.
   */
  tokenExpression(idParam: string): string {
    if (!PLACEHOLDER.test(idParam)) throw new Error('tokenExpression takes a parameter placeholder ($n)');
    return `(SELECT token FROM payment_methods WHERE id = ${idParam}::uuid)`;
  }

  /** Deletes the token stored under `id`, if any: idempotent. */
  async forget(id: string): Promise<void> {
    await this.dataSource.query(FORGET_SQL, [id]);
  }

  /** Keeps a token handed over by message, unless a message about its id came before (idempotent). */
  async receive(id: string, token: string): Promise<void> {
    await this.dataSource.query(RECEIVE_SQL, [id, token]);
  }

  /** Drops a token by message, and makes sure one arriving later is not kept (idempotent). */
  async withdraw(id: string): Promise<void> {
    // Two statements, not one: a "provided" being stored right now holds the receipt's key, so the first waits
    // for it to commit and the delete, with a snapshot taken after, sees the token it stored. In one statement
    // the delete would read from before that commit and leave the token behind.
    await this.dataSource.query(NOTE_RECEIPT_SQL, [id]);
    await this.dataSource.query(FORGET_SQL, [id]);
  }

  /** A token sent by message (`receive`): distinguishes one still on its way from one already gone. */
  async lookUpSent(id: string): Promise<SentPaymentMethod> {
    const [row] = await this.dataSource.query<{ token: string | null; received: boolean }[]>(LOOKUP_SQL, [id]);
    if (row.token !== null) return { token: row.token };
    return row.received ? 'gone' : 'on-its-way';
  }

  /** The token stored under `id`, or undefined once it has been deleted (or never was). */
  async resolve(id: string): Promise<string | undefined> {
    const rows = await this.dataSource.query<{ token: string }[]>(RESOLVE_SQL, [id]);
    return rows[0]?.token;
  }
}
