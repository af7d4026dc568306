import { Module } from '@nestjs/common';
import { SagaMessagingModule } from '../transport/saga-messaging.module.js';
import { SagaTracing } from './saga-tracing.js';

/**
 * Traces sagas with OpenTelemetry (see `SagaTracing`). Import it in every process of the system; register a
 * tracer provider (and its exporter) in the app, as OpenTelemetry's own setup does: without one, the spans go
 * nowhere and cost next to nothing.
 */
@Module({ imports: [SagaMessagingModule], providers: [SagaTracing], exports: [SagaTracing] })
export class SagaTracingModule {}
