import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { type Observable, Subject } from 'rxjs';
import type { ResolvedSagaModuleOptions } from '../saga-module-options.interface.js';
import { RESOLVED_SAGA_OPTIONS } from './resolve-options.js';
import { SagaClock } from './saga-clock.js';
import { SagaOrchestrator } from './saga-orchestrator.js';

const JOB_NAME = 'saga-timeout-job';

/** One finished pass of the timeout job. */
export interface TimeoutJobPass {
  at: Date;
  claimed: number;
  durationMs: number;
  ok: boolean;
}
/** Batches per pass at most, so one pass cannot starve the event loop when a large backlog is due. */
const MAX_BATCHES_PER_PASS = 20;
/** How often the clock is re-anchored to the database's: clocks drift by milliseconds a minute, not more. */
const CLOCK_ANCHOR_EVERY_MS = 60_000;

/**
 * Finds sagas whose step deadline passed or whose owner's lease expired, and retries, compensates or resumes
 * them. Runs on an interval registered with `@nestjs/schedule` (so the host sees it in its SchedulerRegistry),
 * and once at bootstrap so that sagas orphaned by a crash resume without waiting a full interval.
 */
@Injectable()
export class SagaTimeoutJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SagaTimeoutJob.name);
  private running: Promise<number> | null = null;
  private stopped = false;
  private clockAnchoredAt = Number.NEGATIVE_INFINITY;
  /** When a pass last reached the database (boot, before the first): the start of any outage since. */
  private lastReachedAt: Date;
  /** Set while passes fail on infrastructure faults, to the last time one reached the database. */
  private outageSince: Date | null = null;
  /** The last finished pass (health checks and metrics read it). */
  lastPass: TimeoutJobPass | null = null;
  private readonly passesSubject = new Subject<TimeoutJobPass>();
  /** Every finished pass, whoever ran it (its interval, a test, an operator tool): metrics and logs watch it. */
  readonly passes$: Observable<TimeoutJobPass> = this.passesSubject.asObservable();

  constructor(
    private readonly orchestrator: SagaOrchestrator,
    private readonly clock: SagaClock,
    private readonly scheduler: SchedulerRegistry,
    @Inject(RESOLVED_SAGA_OPTIONS) private readonly options: ResolvedSagaModuleOptions,
  ) {
    this.lastReachedAt = clock.now();
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.orchestrator
      .reportDefinitionChanges()
      .catch((error: Error) => this.logger.warn(`definition check failed: ${error.message}`));
    // Awaited: the deadlines of the first sagas this instance starts are written on the anchored clock.
    await this.anchorClock().catch((error: Error) => this.logger.warn(`clock anchor failed, retrying next pass: ${error.message}`));
    if (!this.options.jobEnabled) return;
    const handle = setInterval(() => void this.runOnce(), this.options.jobIntervalMs);
    this.scheduler.addInterval(JOB_NAME, handle);
    void this.runOnce();
  }

  /** Stops claiming work and waits for the pass in progress. Idempotent; graceful shutdown calls it early. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.scheduler.doesExist('interval', JOB_NAME)) this.scheduler.deleteInterval(JOB_NAME);
    await this.running;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /**
   * One pass: renew this instance's leases, then claim due sagas batch by batch. Never throws (a database outage
   * is logged and retried next pass). Overlapping calls share the pass in progress.
   */
  runOnce(): Promise<number> {
    if (this.running) return this.running;
    const started = Date.now();
    this.running = this.pass().then(({ claimed, ok }) => {
      this.running = null;
      this.lastPass = { at: new Date(), claimed, durationMs: Date.now() - started, ok };
      this.passesSubject.next(this.lastPass);
      return claimed;
    });
    return this.running;
  }

  /** Whether the job is expected to run in this process (health checks ignore a disabled job). */
  get enabled(): boolean {
    return this.options.jobEnabled;
  }

  get intervalMs(): number {
    return this.options.jobIntervalMs;
  }

  private async anchorClock(): Promise<void> {
    await this.orchestrator.anchorClock();
    this.clockAnchoredAt = performance.now();
  }

  private async pass(): Promise<{ claimed: number; ok: boolean }> {
    let total = 0;
    try {
      // Before any claim: an instance whose clock is off would otherwise take deadlines and leases for passed
      // (or live) that are not.
      if (performance.now() - this.clockAnchoredAt >= CLOCK_ANCHOR_EVERY_MS) await this.anchorClock();
      await this.orchestrator.renewLeases();
      for (let batch = 0; batch < MAX_BATCHES_PER_PASS && !this.stopped; batch++) {
        const claimed = await this.orchestrator.handleDue(this.outageSince ?? undefined);
        total += claimed;
        if (claimed < this.options.jobBatchSize) break;
      }
    } catch (error) {
      this.logger.warn(`timeout pass failed, retrying next interval: ${(error as Error).message}`);
      if (this.options.isTransientError(error)) this.outageSince ??= this.lastReachedAt;
      return { claimed: total, ok: false };
    }
    this.outageSince = null;
    this.lastReachedAt = this.clock.now();
    return { claimed: total, ok: true };
  }
}
