import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { TimeoutJobHealthIndicator } from './timeout-job.health';

/** `/health/live`, `/health/ready` and `/health` (= ready), with `@nestjs/terminus`. Needs the saga module. */
@Module({
  imports: [TerminusModule],
  controllers: [HealthController],
  providers: [TimeoutJobHealthIndicator],
})
export class HealthModule {}
