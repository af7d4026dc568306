/**
 * `sagaworks/inspector`: the saga read API, the operator actions and the HTML inspector, mountable under any
 * prefix.
 */
export { SagaInspectorModule } from './saga-inspector.module.js';
export type { SagaInspectorOptions } from './saga-inspector-options.js';
export type { SagaView, StepView } from './api/saga.view.js';
export type { SagaPageView, SagaSummaryView } from './api/saga-summary.view.js';
export { renderSagaFlow } from './ui/saga-flow.svg.js';
export { ReadTokenGuard, READ_TOKEN_COOKIE } from './api/read-token.guard.js';
export { AdminTokenGuard } from './api/admin-token.guard.js';
export { TokenFailureLimiter, DEFAULT_TOKEN_FAILURE_LIMITS, type TokenFailureLimits } from './api/token-failure-limiter.js';
