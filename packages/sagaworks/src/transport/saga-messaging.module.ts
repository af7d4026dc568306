import { Global, Module } from '@nestjs/common';
import { SagaOutbox } from './outbox/saga-outbox.js';
import { SagaCommandDispatcher } from './saga-command-dispatcher.js';
import { SagaEventReceivers } from './saga-event-receivers.js';
import { SagaHooks } from './saga-hooks.js';

/**
 * The parts every process that sends or handles saga messages shares, with or without the saga runtime: the
 * hooks, the dispatcher (transports plug in there) and the outbox. `SagaModule` and the broker modules import
 * it; an app imports neither directly. Needs `CqrsModule.forRoot()` in the host app.
 */
@Global()
@Module({
  providers: [SagaHooks, SagaCommandDispatcher, SagaOutbox, SagaEventReceivers],
  exports: [SagaHooks, SagaCommandDispatcher, SagaOutbox, SagaEventReceivers],
})
export class SagaMessagingModule {}
