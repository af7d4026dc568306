import type { OrderRequest } from '../../support/test-app';

/**
 * Every path a test order can take; the mode decides the outcome, so each order's end is known in advance.
 * `unreviewed`: an order above the fraud-review threshold that nobody reviews, cancelled at its deadline.
 */
export type Mode = 'visa' | 'declined' | 'timeout' | 'aq' | 'overstock' | 'unreviewed';

export interface OrderSpec {
  key: string;
  mode: Mode;
  body: OrderRequest;
}

/** Small deterministic PRNG (mulberry32): the same seed gives the same orders and the same kill jitter. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const SKUS = ['SKU-001', 'SKU-002', 'SKU-003', 'SKU-004', 'SKU-005'];

/** The seeded prices (src/inventory/inventory.seeder.ts). */
const PRICE_CENTS: Record<string, number> = { 'SKU-001': 1299, 'SKU-002': 2499, 'SKU-003': 499, 'SKU-004': 8999, 'SKU-005': 15000 };
/** The app's default FRAUD_REVIEW_THRESHOLD_CENTS: an order of at least this waits for a review. */
export const REVIEW_THRESHOLD_CENTS = 50_000;
/** 600.00: waits for a review at the default threshold. */
export const LARGE_ITEMS = [{ sku: 'SKU-005', quantity: 4 }];

const totalOf = (items: { sku: string; quantity: number }[]) => items.reduce((sum, i) => sum + PRICE_CENTS[i.sku] * i.quantity, 0);

const DEFAULT_WEIGHTS: Record<Mode, number> = { visa: 50, declined: 15, timeout: 10, aq: 15, overstock: 10, unreviewed: 0 };

export interface MixOptions {
  prefix: string;
  seed: number;
  /** A quantity above the seeded stock: the inventory step fails. At most 1000 (the request DTO's cap). */
  overstockQuantity: number;
  weights?: Partial<Record<Mode, number>>;
}

/**
 * `n` orders mixing every test mode by weight; normal orders take 1-3 units of one or two distinct SKUs and stay
 * below the fraud-review threshold (two lines that would reach it keep the first only), so none waits for a
 * review; `unreviewed` ones are above it.
 */
export function orderMix(n: number, options: MixOptions): OrderSpec[] {
  const random = rng(options.seed);
  const weights = { ...DEFAULT_WEIGHTS, ...options.weights };
  const modes = (Object.keys(weights) as Mode[]).filter((m) => weights[m] > 0);
  const total = modes.reduce((s, m) => s + weights[m], 0);
  const pick = (): Mode => {
    let r = random() * total;
    for (const m of modes) {
      r -= weights[m];
      if (r < 0) return m;
    }
    return modes[modes.length - 1];
  };
  return Array.from({ length: n }, (_, i) => {
    const mode = pick();
    const first = Math.floor(random() * SKUS.length);
    const skus = random() < 0.5 ? [SKUS[first]] : [SKUS[first], SKUS[(first + 1 + Math.floor(random() * (SKUS.length - 1))) % SKUS.length]];
    const belowReview = () => {
      const lines = skus.map((sku) => ({ sku, quantity: 1 + Math.floor(random() * 3) }));
      return totalOf(lines) >= REVIEW_THRESHOLD_CENTS ? lines.slice(0, 1) : lines;
    };
    const items =
      mode === 'overstock'
        ? [{ sku: SKUS[first], quantity: options.overstockQuantity }]
        : mode === 'unreviewed'
          ? LARGE_ITEMS
          : belowReview();
    return {
      key: `${options.prefix}-${i}`,
      mode,
      body: {
        customerId: `cust-${i % 17}`,
        items,
        paymentToken: mode === 'declined' ? 'tok_declined' : mode === 'timeout' ? 'tok_timeout' : 'tok_visa',
        shippingAddress: { line1: `${i} Main St`, city: 'Springfield', postalCode: '12345', country: mode === 'aq' ? 'AQ' : 'US' },
      },
    };
  });
}

/** Runs `fn` over `items` with at most `concurrency` in flight. */
export async function runPool<T>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `promise`, or null once `ms` have passed (the timer is cleared either way, so Jest can exit). */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
