import { type DynamicModule, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { ScheduleModule } from '@nestjs/schedule';
import { APP_CONFIG, type AppConfig } from './config/app-config';
import { AppConfigModule } from './config/app-config.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { InventoryModule } from './inventory';
import { ObservabilityModule } from './observability/observability.module';
import { OrderFulfillmentModule } from './order-fulfillment';
import { OrdersModule } from './orders';
import { PaymentModule } from './payment';
import { ReliabilityModule } from './reliability';
import { SagaModule } from 'sagaworks';
import { ShippingModule } from './shipping';
import { SagaInspectorModule } from 'sagaworks/inspector';
import { SagaTracingModule } from 'sagaworks/otel';

/** The monolith: four domain modules, the order saga, and the saga machinery, on one database. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        CqrsModule.forRoot(),
        ScheduleModule.forRoot(),
        DatabaseModule.forRoot({
          url: config.databaseUrl,
          pgliteDataDir: config.pgliteDataDir,
          poolSize: config.dbPoolSize,
          preparedStatements: config.dbPreparedStatements,
        }),
        SagaModule.forRoot({
          defaultStepTimeoutMs: config.saga.stepTimeoutMs,
          retry: { maxAttempts: config.saga.maxAttempts, backoffBaseMs: config.saga.backoffBaseMs, backoffMaxMs: config.saga.backoffMaxMs },
          jobEnabled: config.saga.jobEnabled,
          jobIntervalMs: config.saga.jobIntervalMs,
          jobBatchSize: config.saga.jobBatchSize,
          leaseMs: config.saga.leaseMs,
          adminToken: config.adminToken,
          readToken: config.readToken,
        }),
        InventoryModule.forRoot({ seedStock: config.seedStock }),
        PaymentModule,
        ShippingModule,
        OrdersModule,
        OrderFulfillmentModule.forRoot({ fraudReview: config.fraudReview }),
        HealthModule,
        ObservabilityModule,
        SagaInspectorModule.forRoot({
          links: [
            { label: 'API docs', href: '/docs' },
            { label: 'Metrics', href: '/metrics' },
            { label: 'Health', href: '/health' },
          ],
        }),
        ReliabilityModule.forRoot(),
        // Spans only when a collector is named (OTEL_EXPORTER_OTLP_ENDPOINT): off by default.
        ...(config.otlpEndpoint ? [SagaTracingModule] : []),
      ],
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    };
  }
}
