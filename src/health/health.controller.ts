import { Controller, Get, Inject, Logger, Optional, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  type HealthCheckResult,
  type HealthIndicatorResult,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import type { Response } from 'express';
import { RabbitMqSagaTransport } from 'sagaworks/rabbitmq';
import { TimeoutJobHealthIndicator } from './timeout-job.health';
import { WRITE_PROBE, type WriteProbe } from './write-probe';

/** A ping slower than this counts as down: a database that slow cannot serve sagas either. */
const DB_PING_TIMEOUT_MS = 1000;

@ApiTags('health')
@Controller('health')
export class HealthController {
  private readonly logger = new Logger(HealthController.name);
  /** The last database failure logged, so a probe every few seconds logs an outage once, not on every call. */
  private loggedDbFailure: string | null = null;

  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    @Inject(WRITE_PROBE) private readonly probeWrite: WriteProbe,
    // Absent in a process without the saga runtime (a service run apart), or without a broker.
    @Optional() private readonly timeoutJob?: TimeoutJobHealthIndicator,
    @Optional() private readonly broker?: RabbitMqSagaTransport,
  ) {}

  /** Same as `/health/ready`. */
  @Get()
  @HealthCheck()
  @ApiOkResponse({ description: 'Ready: the database answers and the timeout job is not stalled' })
  @ApiServiceUnavailableResponse({ description: 'Not ready; `error` says which check failed' })
  check(@Res({ passthrough: true }) res: Response): Promise<HealthCheckResult> {
    return this.ready(res);
  }

  /**
   * Liveness: the process answers. Touches nothing else, so a database outage never gets the app restarted.
   * No pid or host details: health answers are public.
   */
  @Get('live')
  @HealthCheck()
  @ApiOkResponse({ description: 'The process is up' })
  live(@Res({ passthrough: true }) res: Response): Promise<HealthCheckResult> {
    return this.answer(res, () =>
      this.health.check([() => this.indicators.check('process').up({ uptimeSeconds: Math.round(process.uptime()) })]),
    );
  }

  /**
   * Readiness: the database answers a ping in time, takes a write (a read-only database or a standby answers
   * pings but cannot run a saga), the timeout job is still passing (where sagas run), and the broker is connected
   * (where the services run apart).
   */
  @Get('ready')
  @HealthCheck()
  @ApiOkResponse({ description: 'The database answers and the timeout job is not stalled' })
  @ApiServiceUnavailableResponse({ description: 'Not ready; `error` says which check failed' })
  ready(@Res({ passthrough: true }) res: Response): Promise<HealthCheckResult> {
    const timeoutJob = this.timeoutJob;
    const broker = this.broker;
    return this.answer(res, () =>
      this.health.check([
        () => this.database(),
        ...(timeoutJob ? [() => timeoutJob.check('timeoutJob')] : []),
        ...(broker ? [() => this.brokerCheck(broker)] : []),
      ]),
    );
  }

  private brokerCheck(broker: RabbitMqSagaTransport): HealthIndicatorResult<'broker'> {
    const session = this.indicators.check('broker');
    return broker.connected ? session.up() : session.down({ message: 'the broker cannot be reached' });
  }

  /**
   * The driver's error names hosts and ports: it goes to the log, and the answer says only that the ping failed
   * (health answers are public, like every other error answer of the app).
   */
  private async database(): Promise<HealthIndicatorResult<'database'>> {
    const result = await this.db.pingCheck('database', { timeout: DB_PING_TIMEOUT_MS });
    const { status, message, responseTime } = result.database as { status: string; message?: string; responseTime?: number };
    const refusal = status === 'up' ? await this.writeRefusal() : null;
    if (refusal) {
      if (refusal !== this.loggedDbFailure) this.logger.warn(`database refuses writes: ${refusal}`);
      this.loggedDbFailure = refusal;
      return this.indicators.check('database').down({ message: 'the database does not take writes', responseTime });
    }
    if (status === 'up') {
      if (this.loggedDbFailure) this.logger.log('database answers again');
      this.loggedDbFailure = null;
      return result;
    }
    const detail = String(message ?? 'no detail');
    if (detail !== this.loggedDbFailure) this.logger.warn(`database ping failed: ${detail}`);
    this.loggedDbFailure = detail;
    const timedOut = /time(d)? ?out/i.test(detail);
    return this.indicators
      .check('database')
      .down({ message: timedOut ? `no answer within ${DB_PING_TIMEOUT_MS} ms` : 'the database cannot be reached', responseTime });
  }

  /** Why the database refused a write (a no-op one), within the ping's time limit; `null` when it took it. */
  private async writeRefusal(): Promise<string | null> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`no answer to a write within ${DB_PING_TIMEOUT_MS} ms`), DB_PING_TIMEOUT_MS);
    });
    try {
      return await Promise.race([
        this.probeWrite().then(
          () => null,
          (error: unknown) => (error as Error)?.message ?? String(error),
        ),
        late,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Terminus reports "down" by throwing a 503 whose body is the full result. It is answered here, as is, so the
   * app's error filter (which reshapes errors to `{ statusCode, error, message }`) does not turn it into
   * something a probe or an operator cannot read.
   */
  private async answer(res: Response, check: () => Promise<HealthCheckResult>): Promise<HealthCheckResult> {
    try {
      return await check();
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      res.status(503);
      return error.getResponse() as HealthCheckResult;
    }
  }
}
