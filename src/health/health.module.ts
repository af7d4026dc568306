import { type DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { TimeoutJobHealthIndicator } from './timeout-job.health';
import { outboxWriteProbe, sagaWriteProbe } from './write-probe';

/**
 * `/health/live`, `/health/ready` and `/health` (= ready), with `@nestjs/terminus`. `sagas`: the saga module runs
 * here (its timeout job is checked); otherwise the process is a service run apart, checked by its database and
 * its broker.
 */
@Module({})
export class HealthModule {
  static forRoot(options: { sagas: boolean }): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule],
      controllers: [HealthController],
      providers: options.sagas ? [TimeoutJobHealthIndicator, sagaWriteProbe] : [outboxWriteProbe],
    };
  }
}
