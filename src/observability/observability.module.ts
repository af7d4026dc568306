import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { AppConfigTree } from '../config/app-config.module';
import { LOG_DESTINATION } from './log-destination';
import { buildLoggerParams } from './logger-params';
import { MetricsController } from './metrics.controller';
import { SagaLogContext } from './saga-log-context';
import { SagaMetrics } from './saga-metrics';

/**
 * Logs (nestjs-pino, with the saga of the code running on every line) and Prometheus metrics (`GET /metrics`).
 * Needs `AppConfigModule` (for `app.log`) and the saga module. `main.ts` routes Nest's own logger through pino
 * with `app.useLogger(app.get(Logger))`.
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      providers: [{ provide: LOG_DESTINATION, useValue: null }],
      inject: [ConfigService, LOG_DESTINATION],
      useFactory: (config: ConfigService<AppConfigTree, true>, destination: DestinationStream | null) =>
        buildLoggerParams(config.get('app.log', { infer: true }), destination),
    }),
  ],
  controllers: [MetricsController],
  providers: [SagaLogContext, SagaMetrics],
  exports: [SagaLogContext, SagaMetrics],
})
export class ObservabilityModule {}
