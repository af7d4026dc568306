/**
 * `sagaworks/testing`: drive real sagas in a real Nest app under injected faults, with the saga clock moved
 * instead of sleeping.
 */
export { SagaTestKit, type ExploreOptions, type ExploreOutcome, type ExploreReport } from './saga-test-kit.js';
export { SagaClock } from '../runtime/saga-clock.js';
