import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthCheckResult, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { TimeoutJobHealthIndicator } from './timeout-job.health';

/** A ping slower than this counts as down: a database that slow cannot serve sagas either. */
const DB_PING_TIMEOUT_MS = 1000;

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly timeoutJob: TimeoutJobHealthIndicator,
    private readonly indicators: HealthIndicatorService,
  ) {}

  /** Same as `/health/ready`. */
  @Get()
  @HealthCheck()
  @ApiOkResponse({ description: 'Ready: the database answers and the timeout job is not stalled' })
  @ApiServiceUnavailableResponse({ description: 'Not ready; `error` says which check failed' })
  check(): Promise<HealthCheckResult> {
    return this.ready();
  }

  /** Liveness: the process answers. Touches nothing else, so a database outage never gets the app restarted. */
  @Get('live')
  @HealthCheck()
  @ApiOkResponse({ description: 'The process is up' })
  live(): Promise<HealthCheckResult> {
    return this.health.check([() => this.indicators.check('process').up({ pid: process.pid, uptimeSeconds: Math.round(process.uptime()) })]);
  }

  /** Readiness: the database answers a ping in time and the timeout job is still passing. */
  @Get('ready')
  @HealthCheck()
  @ApiOkResponse({ description: 'The database answers and the timeout job is not stalled' })
  @ApiServiceUnavailableResponse({ description: 'Not ready; `error` says which check failed' })
  ready(): Promise<HealthCheckResult> {
    return this.health.check([() => this.db.pingCheck('database', { timeout: DB_PING_TIMEOUT_MS }), () => this.timeoutJob.check('timeoutJob')]);
  }
}
