import { type DynamicModule, Module } from '@nestjs/common';
import { SagaMessagingModule } from '../transport/saga-messaging.module.js';
import { RabbitMqSagaTransport } from './rabbitmq-saga.transport.js';
import { SAGA_RABBITMQ_OPTIONS, type SagaRabbitMqOptions } from './rabbitmq-options.js';

/**
 * Carries saga commands and events between processes over RabbitMQ. Import it in every process of the system
 * with the same routing and each its own `service`: where `SagaModule` runs, commands routed elsewhere leave
 * through the broker and their replies come back; elsewhere, the commands routed to this service are handled
 * and the events their handlers publish through `SagaOutbox` leave from its outbox (add `messagingMigrations`).
 */
@Module({})
export class SagaRabbitMqModule {
  static forRoot(options: SagaRabbitMqOptions): DynamicModule {
    return {
      module: SagaRabbitMqModule,
      // One broker link per app; global so a health check anywhere in it can ask whether it is up.
      global: true,
      imports: [SagaMessagingModule],
      providers: [{ provide: SAGA_RABBITMQ_OPTIONS, useValue: options }, RabbitMqSagaTransport],
      exports: [RabbitMqSagaTransport],
    };
  }
}
