import { Injectable } from '@nestjs/common';

/** What the handlers did, per saga (sets: a command delivered twice changes nothing). */
@Injectable()
export class Ledger {
  readonly reserved = new Set<string>();
  readonly released = new Set<string>();
  readonly charged = new Set<string>();
  readonly refunded = new Set<string>();
  readonly notified = new Set<string>();

  /** Stock still held for the saga: reserved and not released. */
  holdsStock(sagaId: string): boolean {
    return this.reserved.has(sagaId) && !this.released.has(sagaId);
  }

  /** Money still taken for the saga: charged and not refunded. */
  holdsMoney(sagaId: string): boolean {
    return this.charged.has(sagaId) && !this.refunded.has(sagaId);
  }
}
