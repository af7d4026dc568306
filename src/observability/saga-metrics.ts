import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Subscription } from 'rxjs';
import { isTerminal, SagaOrchestrator, SagaRegistry, SagaStatus, SagaTimeoutJob, StepStatus, type StoredTransition } from 'sagaworks';

/** Seconds; steps answer in milliseconds when healthy and in step timeouts (10 s by default) when not. */
const STEP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const SAGA_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

/** A history reason that dispatches an attempt again: the job's "retry: attempt n of m", an operator's "retry by x". */
const isRetry = (reason: string | null): boolean => !!reason && (reason.startsWith('retry') || reason.includes('retry:'));

/** Sagas whose compensation start is remembered; the oldest are forgotten beyond this (FAILED ones linger). */
const MAX_TRACKED = 10_000;

const seconds = (from: Date | string, to: Date | string): number => Math.max(0, (new Date(to).getTime() - new Date(from).getTime()) / 1000);

/**
 * Prometheus metrics of the sagas this process runs, in a registry of its own (several apps may share a
 * process in tests). Counters and histograms follow the orchestrator's stored transitions; in-flight counts
 * are read from the database at scrape time, so they cover every instance; the timeout job's lag and claims
 * come from its passes.
 */
@Injectable()
export class SagaMetrics implements OnModuleInit, OnModuleDestroy {
  readonly registry = new Registry();
  private readonly logger = new Logger(SagaMetrics.name);
  private readonly bootedAt = Date.now();
  private subscription?: Subscription;
  private jobSubscription?: Subscription;
  private lastCountedPass: SagaTimeoutJob['lastPass'] = null;
  /** When this process saw each step's compensation begin (the step state keeps no such time). */
  private readonly compensationStarts = new Map<string, Map<string, Date>>();

  private readonly started = this.counter('saga_started_total', 'Sagas started', ['type']);
  private readonly completed = this.counter('saga_completed_total', 'Sagas that completed', ['type']);
  private readonly compensated = this.counter('saga_compensated_total', 'Sagas that were compensated', ['type']);
  private readonly failed = this.counter(
    'saga_failed_total',
    'Sagas that failed (a compensation exhausted its attempts; an operator must act)',
    ['type'],
  );
  private readonly retries = this.counter(
    'saga_step_retries_total',
    'Attempts of a step or compensation dispatched again (timeout retries and operator retries)',
    ['type', 'step'],
  );
  private readonly infrastructureWaits = this.counter(
    'saga_infrastructure_waits_total',
    'Times a step or compensation waited on infrastructure (the database refused or lost it): no attempt spent',
    ['type', 'step'],
  );
  private readonly claims = this.counter(
    'saga_timeout_job_claims_total',
    'Sagas claimed by the timeout job (deadline passed or lease expired)',
    [],
  );
  private readonly passes = this.counter('saga_timeout_job_passes_total', 'Passes of the timeout job, by outcome', ['outcome']);
  private readonly stepDuration = new Histogram({
    name: 'saga_step_duration_seconds',
    help: 'From a step first being dispatched to its outcome (completed, failed), or from its compensation starting to its end (compensated)',
    labelNames: ['type', 'step', 'outcome'],
    buckets: STEP_BUCKETS,
    registers: [this.registry],
  });
  private readonly sagaDuration = new Histogram({
    name: 'saga_duration_seconds',
    help: 'From a saga starting to its end, by final status',
    labelNames: ['type', 'status'],
    buckets: SAGA_BUCKETS,
    registers: [this.registry],
  });

  constructor(
    private readonly orchestrator: SagaOrchestrator,
    private readonly sagas: SagaRegistry,
    private readonly job: SagaTimeoutJob,
  ) {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- prom-client calls collect() with the gauge as `this`, so the service is reached through this alias
    const metrics = this;
    new Gauge({
      name: 'sagas_in_flight',
      help: 'Sagas and flows not yet ended (STARTED, RUNNING, COMPENSATING, STALLED), by type, across every instance',
      labelNames: ['type'],
      registers: [this.registry],
      async collect() {
        // One grouped query per scrape; a database outage leaves the last values rather than failing the scrape.
        const rows = await metrics.orchestrator.store.activeByDefinition().catch((error: Error) => {
          metrics.logger.warn(`sagas_in_flight not refreshed: ${error.message}`);
          return null;
        });
        if (!rows) return;
        this.reset();
        for (const saga of metrics.sagas.all()) this.set({ type: saga.definition.type }, 0);
        for (const row of rows) this.inc({ type: row.type }, row.count);
      },
    });
    let redeliveriesCounted = 0;
    new Counter({
      name: 'saga_redeliveries_from_memory_total',
      help: 'Commands sent again from memory because the database could not record their failure (it was down or read-only)',
      registers: [this.registry],
      collect() {
        const total = metrics.orchestrator.redeliveriesFromMemory;
        this.inc(total - redeliveriesCounted);
        redeliveriesCounted = total;
      },
    });
    new Gauge({
      name: 'saga_timeout_job_lag_seconds',
      help: 'Time since the timeout job last finished a pass (since start-up if it has not yet); absent when the job is disabled here',
      registers: [this.registry],
      collect() {
        metrics.countPass();
        this.reset();
        if (!metrics.job.enabled) return;
        const last = metrics.job.lastPass?.at.getTime() ?? metrics.bootedAt;
        this.set((Date.now() - last) / 1000);
      },
    });
  }

  onModuleInit(): void {
    collectDefaultMetrics({ register: this.registry });
    // Every known type starts at 0, so rate() and alerts see a series before the first saga of a kind ends.
    for (const saga of this.sagas.all()) {
      for (const counter of [this.started, this.completed, this.compensated, this.failed]) counter.inc({ type: saga.definition.type }, 0);
      for (const step of saga.definition.steps) this.infrastructureWaits.inc({ type: saga.definition.type, step: step.name }, 0);
    }
    this.subscription = this.orchestrator.transitions$.subscribe((t) => {
      try {
        this.observe(t);
      } catch (error) {
        // Metrics must never disturb the saga stream they listen to.
        this.logger.warn(`metrics not updated for saga ${t.after.id}: ${(error as Error).message}`);
      }
    });
    this.watchJob();
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
    this.jobSubscription?.unsubscribe();
    this.compensationStarts.clear();
  }

  /** The exposition text for `GET /metrics`. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private observe({ before, after, history, at }: StoredTransition): void {
    const type = after.type;
    if (!before) this.started.inc({ type });
    if (before?.status !== after.status && isTerminal(after.status)) {
      if (after.status === SagaStatus.COMPLETED) this.completed.inc({ type });
      if (after.status === SagaStatus.COMPENSATED) this.compensated.inc({ type });
      if (after.status === SagaStatus.FAILED) this.failed.inc({ type });
      this.sagaDuration.observe({ type, status: after.status }, seconds(after.createdAt, at));
    }
    // The history, not a before/after diff: one transition can pass a step through several statuses (a step
    // that timed out is FAILED and, in the same transition, COMPENSATING).
    const definition = this.sagas.get(type)?.definition;
    for (const entry of history) {
      if (!entry.step) continue;
      const labels = (outcome: string) => ({ type, step: entry.step as string, outcome });
      const performed = !!definition?.steps.find((s) => s.name === entry.step)?.command;
      const startedAt = after.steps.find((s) => s.name === entry.step)?.startedAt;
      if (
        (entry.to === StepStatus.COMPLETED || entry.to === StepStatus.FAILED) &&
        entry.from === StepStatus.EXECUTING &&
        performed &&
        startedAt
      ) {
        this.stepDuration.observe(labels(entry.to.toLowerCase()), seconds(startedAt, at));
      } else if (entry.to === StepStatus.COMPENSATING && entry.from !== StepStatus.COMPENSATING) {
        const starts = this.compensationStarts.get(after.id) ?? new Map<string, Date>();
        starts.set(entry.step, at);
        this.compensationStarts.set(after.id, starts);
        if (this.compensationStarts.size > MAX_TRACKED)
          this.compensationStarts.delete(this.compensationStarts.keys().next().value as string);
      } else if (entry.to === StepStatus.COMPENSATED) {
        const start = this.compensationStarts.get(after.id)?.get(entry.step);
        if (start) this.stepDuration.observe(labels('compensated'), seconds(start, at));
      }
      if (isRetry(entry.reason)) this.retries.inc({ type, step: entry.step });
    }
    after.steps.forEach((step, i) => {
      const waits = (step.infrastructureWaits ?? 0) - (before?.steps[i]?.infrastructureWaits ?? 0);
      if (waits > 0) this.infrastructureWaits.inc({ type, step: step.name }, waits);
    });
    if (isTerminal(after.status) && after.status !== SagaStatus.FAILED) this.compensationStarts.delete(after.id);
  }

  /** Counts every pass of the timeout job, whoever runs it, from the job's own stream of passes. */
  private watchJob(): void {
    this.jobSubscription = this.job.passes$.subscribe(() => this.countPass());
  }

  private countPass(): void {
    const pass = this.job.lastPass;
    if (!pass || pass === this.lastCountedPass) return;
    this.lastCountedPass = pass;
    this.claims.inc(pass.claimed);
    this.passes.inc({ outcome: pass.ok ? 'ok' : 'error' });
  }

  private counter<L extends string>(name: string, help: string, labelNames: L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }
}
