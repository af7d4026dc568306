import { Injectable } from '@nestjs/common';
import { type HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { SagaTimeoutJob } from 'sagaworks';
import { jobStallMs } from './job-stall';

/** Health of `SagaTimeoutJob`: down when it has stopped finishing passes (see `jobStallMs`). */
@Injectable()
export class TimeoutJobHealthIndicator {
  private readonly bootedAt = new Date();

  constructor(
    private readonly job: SagaTimeoutJob,
    private readonly health: HealthIndicatorService,
  ) {}

  check<const Key extends string>(key: Key): HealthIndicatorResult<Key> {
    const session = this.health.check(key);
    const pass = this.job.lastPass;
    const data = {
      enabled: this.job.enabled,
      intervalMs: this.job.intervalMs,
      lastPassAt: pass?.at.toISOString() ?? null,
      lastPassOk: pass?.ok ?? null,
      lastPassClaimed: pass?.claimed ?? null,
    };
    const stalledMs = jobStallMs(this.job, this.bootedAt, new Date());
    if (stalledMs === null) return session.up(data);
    return session.down({
      ...data,
      message: pass
        ? `no pass finished for ${Math.round(stalledMs / 1000)} s`
        : `no pass finished since start-up ${Math.round(stalledMs / 1000)} s ago`,
    });
  }
}
