import { type CallHandler, type ExecutionContext, Inject, Injectable, type NestInterceptor } from '@nestjs/common';
import { defer, finalize, mergeMap, type Observable } from 'rxjs';
import { SAGA_INSPECTOR_OPTIONS, type SagaInspectorOptions } from '../saga-inspector-options.js';

/** Reads the inspector runs at once when `readConcurrency` is not set: a fifth of a pool of 10. */
export const DEFAULT_INSPECTOR_READ_CONCURRENCY = 2;

/**
 * Inspector reads share the app's connection pool with the sagas and the readiness probe. Fifty clients listing
 * at once would hold every connection, so the probe times out and orders wait behind them: reads beyond
 * `readConcurrency` queue here, first come first served, and the rest of the pool stays free for the work.
 */
@Injectable()
export class InspectorReadSlots implements NestInterceptor {
  private readonly limit: number;
  private running = 0;
  private readonly queue: (() => void)[] = [];

  constructor(@Inject(SAGA_INSPECTOR_OPTIONS) options: SagaInspectorOptions) {
    this.limit = Math.max(1, Math.floor(options.readConcurrency ?? DEFAULT_INSPECTOR_READ_CONCURRENCY));
  }

  /** Reads running now and reads waiting for a slot. */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.queue.length };
  }

  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return defer(() => this.acquire()).pipe(mergeMap(() => next.handle().pipe(finalize(() => this.release()))));
  }

  private acquire(): Promise<void> {
    if (this.running < this.limit) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.queue.push(resolve));
  }

  /** Hands the slot straight to the next waiting read, so a burst cannot overtake the queue. */
  private release(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.running--;
  }
}
