import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { AppConfigTree } from '../config/app-config.module';
import { LOG_DESTINATION } from './log-destination';
import { buildLoggerParams } from './logger-params';
import { MetricsController } from './metrics.controller';
import { SagaLogContext } from './saga-log-context';
import { SagaMetrics } from './saga-metrics';

const logging = LoggerModule.forRootAsync({
  providers: [{ provide: LOG_DESTINATION, useValue: null }],
  inject: [ConfigService, LOG_DESTINATION],
  useFactory: (config: ConfigService<AppConfigTree, true>, destination: DestinationStream | null) =>
    buildLoggerParams(config.get('app.log', { infer: true }), destination),
});

/**
 * Logs (nestjs-pino, with the saga of the code running on every line) and, where the saga module runs,
 * Prometheus metrics (`GET /metrics`). Needs `AppConfigModule` (for `app.log`). `main.ts` routes Nest's own
 * logger through pino with `app.useLogger(app.get(Logger))`.
 */
@Module({})
export class ObservabilityModule {
  static forRoot(options: { sagas: boolean }): DynamicModule {
    const providers = options.sagas ? [SagaLogContext, SagaMetrics] : [SagaLogContext];
    return {
      module: ObservabilityModule,
      imports: [logging],
      controllers: options.sagas ? [MetricsController] : [],
      providers,
      exports: providers,
    };
  }
}
