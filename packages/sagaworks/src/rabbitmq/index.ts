/**
 * `sagaworks/rabbitmq`: saga commands and events between processes over RabbitMQ (needs `amqplib`).
 */
export { SagaRabbitMqModule } from './saga-rabbitmq.module.js';
export { RabbitMqSagaTransport } from './rabbitmq-saga.transport.js';
export type { SagaRabbitMqOptions } from './rabbitmq-options.js';
export { topologyNames, COMMAND_FAILED, COMMAND_RECEIVED, ORIGIN_HEADER } from './rabbitmq-options.js';
