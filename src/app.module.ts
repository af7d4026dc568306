import { type DynamicModule, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { ScheduleModule } from '@nestjs/schedule';
import { SagaModule } from 'sagaworks';
import { SagaInspectorModule } from 'sagaworks/inspector';
import { SagaTracingModule } from 'sagaworks/otel';
import { SagaRabbitMqModule } from 'sagaworks/rabbitmq';
import { serviceMigrations } from '../migrations/services';
import { APP_CONFIG, type AppConfig } from './config/app-config';
import { AppConfigModule } from './config/app-config.module';
import { DatabaseModule } from './database/database.module';
import { DeploymentModule } from './deployment/deployment';
import { isSplit, type ServiceName } from './deployment/service-names';
import { brokerRouting } from './deployment/service-routing';
import { HealthModule } from './health/health.module';
import { InventoryModule } from './inventory';
import { ObservabilityModule } from './observability/observability.module';
import { OrderFulfillmentModule } from './order-fulfillment';
import { OrderReturnsModule } from './order-returns';
import { OrdersModule } from './orders';
import { PaymentModule } from './payment';
import { ReliabilityModule } from './reliability';
import { ShippingModule } from './shipping';

type Imports = NonNullable<DynamicModule['imports']>;

/** The saga machinery runs with the orders service: its database holds the saga rows. */
function sagaRuntime(config: AppConfig): Imports {
  return [
    ScheduleModule.forRoot(),
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
  ];
}

/** What only the orders process serves besides its module: the inspector and the graceful drain of its sagas. */
function sagaOperations(): Imports {
  return [
    SagaInspectorModule.forRoot({
      links: [
        { label: 'API docs', href: '/docs' },
        { label: 'Metrics', href: '/metrics' },
        { label: 'Health', href: '/health' },
      ],
    }),
    ReliabilityModule.forRoot(),
  ];
}

/**
 * The app: by default the monolith, four domain modules, the order saga and the saga machinery on one database.
 * With `SERVICES` naming one service, the process runs that service alone on a database of its own, joined to the
 * others by RabbitMQ (`BROKER_URL`).
 */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    const apart = isSplit(config.services);
    const has = (service: ServiceName) => config.services.includes(service);
    const sagas = has('orders');
    const target = {
      url: config.databaseUrl,
      pgliteDataDir: config.pgliteDataDir,
      poolSize: config.dbPoolSize,
      preparedStatements: config.dbPreparedStatements,
    };
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        CqrsModule.forRoot(),
        DeploymentModule.forRoot(config.services),
        apart ? DatabaseModule.forRoot(target, serviceMigrations(config.services)) : DatabaseModule.forRoot(target),
        ...(sagas ? sagaRuntime(config) : []),
        ...(has('inventory') ? [InventoryModule.forRoot({ seedStock: config.seedStock })] : []),
        ...(has('payment') ? [PaymentModule] : []),
        ...(has('shipping') ? [ShippingModule] : []),
        ...(sagas
          ? [
              OrdersModule.forRoot({ apart }),
              OrderFulfillmentModule.forRoot({ fraudReview: config.fraudReview }),
              OrderReturnsModule.forRoot(),
            ]
          : []),
        ...(apart ? [SagaRabbitMqModule.forRoot(brokerRouting(config.services[0], config.brokerUrl as string, config.brokerPrefix))] : []),
        HealthModule.forRoot({ sagas }),
        ObservabilityModule.forRoot({ sagas }),
        ...(sagas ? sagaOperations() : []),
        // Spans only when a collector is named (OTEL_EXPORTER_OTLP_ENDPOINT): off by default.
        ...(config.otlpEndpoint ? [SagaTracingModule] : []),
      ],
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    };
  }
}
