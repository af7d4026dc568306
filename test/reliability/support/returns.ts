import type { Placed } from './client';
import type { Sql } from './invariants';
import { type OrderSpec, runPool, sleep } from './orders';

/** How a return must end: a plain card is refunded and restocked; `tok_refund_refused` is undone by events. */
export type ReturnMode = 'refunded' | 'refused';

const EXPECTED: Record<ReturnMode, Record<string, string>> = {
  refunded: {
    order: 'RETURNED',
    request: 'RETURNED',
    payment: 'REFUNDED',
    reservation: 'RESTOCKED',
    parcel: 'RECEIVED',
    flow: 'COMPLETED',
  },
  refused: {
    order: 'CONFIRMED',
    request: 'REFUSED',
    payment: 'CHARGED',
    reservation: 'RESERVED',
    parcel: 'SENT_BACK',
    flow: 'COMPENSATED',
  },
};

/**
 * Every return requested ended as its mode says, in every service's table and in its flow: refunded once and for
 * the order's total, restocked once (the stock itself is `checkInvariants`'s: reserved = confirmed orders' units).
 * Returns every violation.
 */
export async function checkReturns(sql: Sql, returns: ReadonlyMap<string, ReturnMode>): Promise<string[]> {
  const rows = await sql<Record<string, string | number | null> & { id: string }>(
    `SELECT o.id, o.status AS order, r.status AS request, p.status AS payment, p.amount_cents, o.total_cents,
            v.status AS reservation, sr.status AS parcel, f.status AS flow,
            (SELECT count(*)::int FROM saga_instance x WHERE x.type = 'order-return' AND x.correlation_id = o.id::text) AS flows
     FROM orders o LEFT JOIN order_returns r ON r.order_id = o.id LEFT JOIN payments p ON p.order_id = o.id
     LEFT JOIN inventory_reservations v ON v.order_id = o.id LEFT JOIN shipment_returns sr ON sr.order_id = o.id
     LEFT JOIN saga_instance f ON f.type = 'order-return' AND f.correlation_id = o.id::text
     WHERE o.id = ANY($1::uuid[])`,
    [[...returns.keys()]],
  );
  const v: string[] = [];
  if (rows.length !== returns.size) v.push(`${rows.length} of ${returns.size} returned orders found`);
  for (const row of rows) {
    const mode = returns.get(row.id) as ReturnMode;
    for (const [field, want] of Object.entries(EXPECTED[mode]))
      if (row[field] !== want) v.push(`order ${row.id} (${mode}): ${field} is ${row[field]}, expected ${want}`);
    if (row.amount_cents !== row.total_cents) v.push(`order ${row.id}: paid ${row.amount_cents} of ${row.total_cents}`);
    if (row.flows !== 1) v.push(`order ${row.id}: ${row.flows} return flows`);
  }
  return v;
}

/** Asks for a return by its own key until it is accepted (202), through connection failures and restarts. */
export async function requestReturn(base: () => string, orderId: string, key: string, problems: string[]): Promise<void> {
  for (const giveUpAt = Date.now() + 60_000; Date.now() < giveUpAt;) {
    try {
      const res = await fetch(`${base()}/orders/${orderId}/returns`, {
        method: 'POST',
        headers: { 'idempotency-key': key },
        signal: AbortSignal.timeout(5_000),
      });
      if (res.status === 202) return;
      if (res.status !== 503) problems.push(`return of ${orderId}: unexpected ${res.status} ${(await res.text()).slice(0, 200)}`);
    } catch {
      // the app is down: ask again, by the same key
    }
    await sleep(50 + Math.random() * 100);
  }
  problems.push(`return of ${orderId}: not accepted within 60 s`);
}

const REFUSING_CARD = 'tok_refund_refused';

/** Every fourth order pays with a card that refuses refunds: it confirms, and its return is undone by events. */
export function refusingEveryFourth(orders: OrderSpec[]): void {
  orders.forEach((o, i) => i % 4 === 3 && (o.body.paymentToken = REFUSING_CARD));
}

/** How each placed order's return must end, by the card it was paid with. */
export function returnModes(orders: readonly OrderSpec[], placed: readonly Placed[]): Map<string, ReturnMode> {
  const refusing = new Set(orders.filter((o) => o.body.paymentToken === REFUSING_CARD).map((o) => o.key));
  return new Map(placed.map((p) => [p.orderId as string, refusing.has(p.key) ? 'refused' : 'refunded']));
}

/** Asks for every placed order's return, 8 at a time, each by its own key; counts those accepted as it goes. */
export class ReturnClient {
  accepted = 0;
  readonly problems: string[] = [];

  constructor(private readonly base: () => string) {}

  returnAll(placed: readonly Placed[]): Promise<void> {
    return runPool(placed, 8, async (p) => {
      await requestReturn(this.base, p.orderId as string, `return-${p.key}`, this.problems);
      this.accepted++;
    });
  }
}
