/**
 * `sagaworks/testing`: drive real sagas in a real Nest app under injected faults, with the saga clock moved
 * instead of sleeping.
 */
export { SagaTestKit, type ExploreOptions, type ExploreOutcome, type ExploreReport, type SignalPayloads } from './saga-test-kit.js';
export { SagaEffectLedger, type RecordedSagaEffect, type SagaEffect, type SagaEffectsReader } from './saga-effect.js';
export { SagaClock } from '../runtime/saga-clock.js';
