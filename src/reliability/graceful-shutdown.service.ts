import type { Server } from 'node:http';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { SagaHooks, SagaOrchestrator, SagaTimeoutJob } from 'sagaworks';
import { InFlightCommands } from './in-flight-commands';

export interface GracefulShutdownOptions {
  /** How long shutdown waits for commands in flight before closing anyway. */
  graceMs: number;
  /** No command executing for this long counts as drained (a reply dispatches the next command a few ticks later). */
  quietMs: number;
  /** After a shutdown signal, the process exits with 1 if it has not finished within graceMs + this. */
  hardExitMarginMs: number;
}

export const GRACEFUL_SHUTDOWN_OPTIONS = Symbol('GRACEFUL_SHUTDOWN_OPTIONS');

export function gracefulShutdownOptionsFromEnv(env: Record<string, string | undefined> = process.env): GracefulShutdownOptions {
  const raw = env.SHUTDOWN_GRACE_MS;
  const graceMs = raw === undefined || raw === '' ? 10_000 : Number(raw);
  if (!Number.isInteger(graceMs) || graceMs < 0) throw new Error(`SHUTDOWN_GRACE_MS must be an integer >= 0, got "${raw}"`);
  return { graceMs, quietMs: 100, hardExitMarginMs: 10_000 };
}

const SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/**
 * Shuts the app down without cutting work off, in this order:
 * 1. `draining` turns on: the HTTP layer answers new requests 503 (see `configureApp`), so a load balancer or
 *    client retries elsewhere, with its Idempotency-Key;
 * 2. the saga timeout job stops and its pass in progress finishes, so nothing new is claimed;
 * 3. commands already executing finish, the replies being applied to their sagas are stored, and the steps they
 *    dispatch finish too, until no command has run for `quietMs` and no saga work is in progress, or `graceMs`
 *    has passed.
 * This runs in `onModuleDestroy` because @nestjs/cqrs unsubscribes the @Saga() streams in its own
 * `onModuleDestroy` (CqrsModule is global, so its hooks run after ours): a reply arriving later would not be
 * applied. Whatever is cut off is still safe (the saga row says what to redo and another instance or the
 * restart resumes it when the lease lapses); draining only makes the common case clean and quick to resume.
 */
@Injectable()
export class GracefulShutdown implements OnModuleInit, OnModuleDestroy, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Shutdown');
  private readonly inFlight = new InFlightCommands();
  private drainingSince: number | null = null;
  private forceCloseTimer: NodeJS.Timeout | null = null;
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    this.logger.log(`${signal} received: draining (grace ${this.options.graceMs} ms)`);
    // Shutdown hooks can hang on a peer that never answers; a process stuck in shutdown helps nobody.
    setTimeout(() => {
      this.logger.error(`shutdown did not finish within ${this.options.graceMs + this.options.hardExitMarginMs} ms; exiting`);
      process.exit(1);
    }, this.options.graceMs + this.options.hardExitMarginMs).unref();
  };

  constructor(
    private readonly hooks: SagaHooks,
    private readonly job: SagaTimeoutJob,
    private readonly sagas: SagaOrchestrator,
    private readonly adapterHost: HttpAdapterHost,
    @Inject(GRACEFUL_SHUTDOWN_OPTIONS) private readonly options: GracefulShutdownOptions,
  ) {}

  /** True once shutdown has begun: new HTTP requests are refused with 503. */
  get draining(): boolean {
    return this.drainingSince !== null;
  }

  /** Commands executing right now. */
  get commandsInFlight(): number {
    return this.inFlight.size;
  }

  onModuleInit(): void {
    this.inFlight.install(this.hooks);
    for (const signal of SIGNALS) process.once(signal, this.onSignal);
  }

  async onModuleDestroy(): Promise<void> {
    this.drainingSince = Date.now();
    await this.job.stop();
    this.logger.log(`timeout job stopped; ${this.inFlight.size} command(s) in flight`);
    const bound = Math.max(0, this.options.graceMs - (Date.now() - this.drainingSince));
    const result = await this.inFlight.drain(this.options.quietMs, bound, () => this.sagas.inProgress);
    if (result.drained) {
      this.logger.log(`drained in ${Date.now() - this.drainingSince} ms (${this.inFlight.total} command(s) since start)`);
    } else {
      this.logger.warn(
        `grace period of ${this.options.graceMs} ms ended with ${result.left} command(s) in flight and ${result.otherWork} saga transition(s) unfinished; their sagas resume when the lease lapses`,
      );
    }
  }

  /** Open HTTP requests (a long `Prefer: wait`) would hold the server open; they get until the grace period ends. */
  beforeApplicationShutdown(): void {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server || typeof server.closeAllConnections !== 'function') return;
    const left = Math.max(0, this.options.graceMs - (Date.now() - (this.drainingSince ?? Date.now())));
    this.forceCloseTimer = setTimeout(() => server.closeAllConnections(), left);
    this.forceCloseTimer.unref();
  }

  onApplicationShutdown(): void {
    if (this.forceCloseTimer) clearTimeout(this.forceCloseTimer);
    for (const signal of SIGNALS) process.removeListener(signal, this.onSignal);
    this.inFlight.uninstall();
  }
}
