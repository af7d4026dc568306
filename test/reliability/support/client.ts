import { leakIn } from './leaks';
import { type Mode, type OrderSpec, sleep } from './orders';

export interface Placed {
  key: string;
  mode: Mode;
  orderId: string | null;
  attempts: number;
}

export interface ClientOptions {
  /** Per request. */
  requestTimeoutMs?: number;
  /** Give up on an order (and report it) after this long. */
  giveUpMs?: number;
  /** Statuses that mean "try again later" (always: network errors). 503 is one while the database is down. */
  retryStatuses?: number[];
}

/**
 * A client that behaves as the README asks: each order has its own Idempotency-Key, and a request that was not
 * answered, or answered with a retryable status, is sent again with the same key (to another instance when
 * there are several), until it gets its 201. Everything odd is collected in `problems` rather than thrown, so
 * a test can report all of it at once: an unexpected status, a 201 naming another order than before for the
 * same key, a body that leaks internals.
 */
export class OrderClient {
  readonly placed = new Map<string, Placed>();
  readonly problems: string[] = [];
  readonly statuses: Record<string, number> = {};
  private accepted = 0;
  private turn = 0;
  private readonly options: Required<ClientOptions>;

  constructor(
    private readonly targets: () => string[],
    options: ClientOptions = {},
  ) {
    this.options = { requestTimeoutMs: 10_000, giveUpMs: 120_000, retryStatuses: [], ...options };
  }

  /** Orders that got their 201. */
  get acceptedCount(): number {
    return this.accepted;
  }

  private count(status: string): void {
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
  }

  /** Scans a body for leaks; returns it parsed when it is JSON. */
  inspect(where: string, status: number, text: string): unknown {
    const leak = leakIn(text);
    if (leak) this.problems.push(`${where}: ${status} body leaks internals: ${leak}`);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }

  async place(spec: OrderSpec): Promise<Placed> {
    const placed: Placed = this.placed.get(spec.key) ?? { key: spec.key, mode: spec.mode, orderId: null, attempts: 0 };
    this.placed.set(spec.key, placed);
    const giveUpAt = Date.now() + this.options.giveUpMs;
    while (Date.now() < giveUpAt) {
      const targets = this.targets();
      const base = targets[this.turn++ % Math.max(1, targets.length)];
      placed.attempts++;
      let status: number;
      let text: string;
      try {
        const res = await fetch(`${base}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': spec.key },
          body: JSON.stringify(spec.body),
          signal: AbortSignal.timeout(this.options.requestTimeoutMs),
        });
        status = res.status;
        text = await res.text();
      } catch {
        this.count('network');
        await sleep(50 + Math.random() * 150);
        continue;
      }
      this.count(String(status));
      const body = this.inspect(`POST /orders ${spec.key}`, status, text) as { id?: string; statusCode?: number; message?: unknown };
      if (status === 201) {
        if (placed.orderId && placed.orderId !== body.id)
          this.problems.push(`${spec.key}: a retry answered order ${body.id}, the first answer was ${placed.orderId}`);
        if (!placed.orderId) this.accepted++;
        placed.orderId = body.id ?? null;
        return placed;
      }
      if (status >= 400 && (typeof body !== 'object' || body === null || body.statusCode !== status || !body.message)) {
        this.problems.push(`${spec.key}: ${status} without the error shape { statusCode, error, message }: ${text.slice(0, 200)}`);
      }
      if (!this.options.retryStatuses.includes(status)) this.problems.push(`${spec.key}: unexpected ${status}: ${text.slice(0, 300)}`);
      // A 500 is reported above but still retried: the order itself must not be lost on top of it.
      await sleep(100 + Math.random() * 200);
    }
    this.problems.push(`${spec.key}: no 201 within ${this.options.giveUpMs} ms (${placed.attempts} attempts)`);
    return placed;
  }

  /** GET, scanned for leaks; returns status and parsed body (or throws on a network error). */
  async get(url: string): Promise<{ status: number; body: unknown }> {
    const res = await fetch(url, { signal: AbortSignal.timeout(this.options.requestTimeoutMs) });
    const text = await res.text();
    return { status: res.status, body: this.inspect(`GET ${url}`, res.status, text) };
  }
}

/**
 * The same final state seen through the HTTP API: every order's status as the database has it, and for a sample
 * its saga (terminal), payments (one CHARGED exactly when confirmed) and shipments (one CREATED exactly when
 * confirmed). Bodies are scanned for leaks on the way. Returns the violations found.
 */
export async function checkOverHttp(
  client: OrderClient,
  baseUrl: string,
  orders: { orderId: string | null; key: string }[],
  statusById: Map<string, string>,
  sampleEvery = 8,
): Promise<string[]> {
  const v: string[] = [];
  const ids = orders.map((o) => o.orderId).filter((id): id is string => !!id);
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const i = next++;
      const id = ids[i];
      const { status, body } = await client.get(`${baseUrl}/orders/${id}`);
      const order = body as { status?: string; sagaId?: string };
      if (status !== 200 || order.status !== statusById.get(id)) {
        v.push(`GET /orders/${id}: ${status} ${order.status}, database says ${statusById.get(id)}`);
        continue;
      }
      if (i % sampleEvery !== 0) continue;
      const saga = (await client.get(`${baseUrl}/sagas/${order.sagaId}`)).body as { status?: string };
      if (!['COMPLETED', 'COMPENSATED'].includes(saga.status ?? '')) v.push(`GET /sagas/${order.sagaId}: ${saga.status}`);
      const payments = (await client.get(`${baseUrl}/payments?orderId=${id}`)).body as { status: string }[];
      const shipments = (await client.get(`${baseUrl}/shipments?orderId=${id}`)).body as { status: string }[];
      const charged = payments.filter((p) => p.status === 'CHARGED').length;
      const created = shipments.filter((s) => s.status === 'CREATED').length;
      const live = order.status === 'CONFIRMED' ? 1 : 0;
      if (charged !== live || created !== live)
        v.push(`order ${id} ${order.status}: ${charged} CHARGED payment(s), ${created} CREATED shipment(s) over HTTP`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return v;
}
