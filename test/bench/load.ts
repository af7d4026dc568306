import { performance } from 'node:perf_hooks';
import type { CommandBus, EventBus } from '@nestjs/cqrs';
import type { Subscription } from 'rxjs';
import { PlaceOrderCommand, type PlaceOrderInput } from '../../src/orders';
import { SagaEndedEvent } from 'sagaworks';

export type Scenario = 'happy' | 'mix';

/** 1 in 5 sagas compensates: half at the payment step (declined card), half at shipping (unserved country). */
export function orderInput(i: number, scenario: Scenario): PlaceOrderInput {
  const failure = scenario === 'mix' ? (i % 10 === 3 ? 'payment' : i % 10 === 8 ? 'shipping' : null) : null;
  return {
    customerId: `bench-${i % 1000}`,
    // Spread over the five catalog SKUs: reservations of one SKU queue on its row lock, as hot products do.
    items: [{ sku: `SKU-00${(i % 5) + 1}`, quantity: 1 }],
    paymentToken: failure === 'payment' ? 'tok_declined' : 'tok_visa',
    shippingAddress: { line1: '1 Bench St', city: 'Springfield', postalCode: '12345', country: failure === 'shipping' ? 'AQ' : 'US' },
  };
}

export function expectedOutcomes(n: number, scenario: Scenario, offset = 0): Record<string, number> {
  if (scenario === 'happy') return { COMPLETED: n };
  let compensated = 0;
  for (let i = offset; i < offset + n; i++) if (i % 10 === 3 || i % 10 === 8) compensated++;
  return { COMPLETED: n - compensated, COMPENSATED: compensated };
}

export interface Ended {
  at: number;
  status: string;
}

/**
 * Resolves when a saga's `SagaEndedEvent` is published (the runtime publishes it right after storing the
 * terminal transition). An end seen before anyone waits for it is kept until asked for, so no race with the
 * placement's own return loses it.
 */
/** Registers a waiter for `sagaId` in `waiting`; it resolves with `TIMEOUT` after `timeoutMs` if nobody calls it. */
export function waitForEnd(waiting: Map<string, (e: Ended) => void>, sagaId: string, timeoutMs: number): Promise<Ended> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      waiting.delete(sagaId);
      resolve({ at: performance.now(), status: 'TIMEOUT' });
    }, timeoutMs);
    waiting.set(sagaId, (e) => {
      clearTimeout(timer);
      resolve(e);
    });
  });
}

export class SagaEndWatcher {
  private readonly waiting = new Map<string, (e: Ended) => void>();
  private readonly early = new Map<string, Ended>();
  private readonly subscription: Subscription;

  constructor(eventBus: EventBus) {
    this.subscription = eventBus.subscribe((event) => {
      if (!(event instanceof SagaEndedEvent)) return;
      const ended = { at: performance.now(), status: event.status };
      const resolve = this.waiting.get(event.sagaId);
      if (resolve) {
        this.waiting.delete(event.sagaId);
        resolve(ended);
      } else {
        this.early.set(event.sagaId, ended);
      }
    });
  }

  wait(sagaId: string, timeoutMs: number): Promise<Ended> {
    const early = this.early.get(sagaId);
    if (early) {
      this.early.delete(sagaId);
      return Promise.resolve(early);
    }
    return waitForEnd(this.waiting, sagaId, timeoutMs);
  }

  close(): void {
    this.subscription.unsubscribe();
  }
}

/** Tells when a saga ended: `SagaEndWatcher` in process, or a poll of the saga table for an app in another. */
export interface SagaEnds {
  wait(sagaId: string, timeoutMs: number): Promise<Ended>;
}

export interface LoadTarget {
  /** Null when the app runs in other processes: then `baseUrl` is set. */
  commandBus: CommandBus | null;
  /** POST /orders here instead of the command bus (the `--http` mode). */
  baseUrl: string | null;
  watcher: SagaEnds;
}

export interface LoadResult {
  n: number;
  concurrency: number;
  wallMs: number;
  /** Placement (command sent, or request started) to the saga's end, per saga. */
  latenciesMs: Float64Array;
  outcomes: Record<string, number>;
  errors: string[];
}

const SAGA_TIMEOUT_MS = 60_000;

async function placeOverHttp(baseUrl: string, input: PlaceOrderInput): Promise<string> {
  const res = await fetch(`${baseUrl}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(input),
  });
  const body = (await res.json()) as { sagaId?: string; message?: unknown };
  if (res.status !== 201 || typeof body.sagaId !== 'string')
    throw new Error(`POST /orders answered ${res.status}: ${JSON.stringify(body)}`);
  return body.sagaId;
}

/** Runs `n` sagas with at most `concurrency` in flight; each worker places a saga and waits for its end. */
export async function runLoad(target: LoadTarget, n: number, concurrency: number, scenario: Scenario, offset = 0): Promise<LoadResult> {
  const latenciesMs = new Float64Array(n);
  const outcomes: Record<string, number> = {};
  const errors: string[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    for (let i = next++; i < n; i = next++) {
      const input = orderInput(offset + i, scenario);
      const t0 = performance.now();
      try {
        const sagaId = target.baseUrl
          ? await placeOverHttp(target.baseUrl, input)
          : (await (target.commandBus as CommandBus).execute(new PlaceOrderCommand(input))).order.sagaId;
        const ended = await target.watcher.wait(sagaId, SAGA_TIMEOUT_MS);
        latenciesMs[i] = ended.at - t0;
        outcomes[ended.status] = (outcomes[ended.status] ?? 0) + 1;
      } catch (error) {
        latenciesMs[i] = performance.now() - t0;
        outcomes.ERROR = (outcomes.ERROR ?? 0) + 1;
        if (errors.length < 5) errors.push((error as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return { n, concurrency, wallMs: performance.now() - started, latenciesMs, outcomes, errors };
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function latencySummary(latencies: Float64Array): { p50: number; p90: number; p99: number; max: number; mean: number } {
  const sorted = Float64Array.from(latencies).sort();
  const mean = sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length);
  const r = (x: number): number => Math.round(x * 100) / 100;
  return {
    p50: r(percentile(sorted, 50)),
    p90: r(percentile(sorted, 90)),
    p99: r(percentile(sorted, 99)),
    max: r(sorted[sorted.length - 1] ?? NaN),
    mean: r(mean),
  };
}
