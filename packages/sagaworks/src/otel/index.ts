/**
 * `sagaworks/otel`: OpenTelemetry spans of sagas, one trace per saga across processes (needs `@opentelemetry/api`).
 */
export { SagaTracingModule } from './saga-tracing.module.js';
export { SagaTracing } from './saga-tracing.js';
export { sagaTraceId, sagaRootContext, toTraceparent, fromTraceparent, TRACEPARENT } from './saga-trace-context.js';
