import type { SagaModuleOptions } from 'sagaworks';

/**
 * Short deadlines and backoffs, and no job: tests move the saga clock and drive the timeout job themselves
 * (`SagaTestKit`), so a retried step costs no wall time.
 */
export const travelSagaOptions: SagaModuleOptions = {
  jobEnabled: false,
  defaultStepTimeoutMs: 1_000,
  retry: { maxAttempts: 2, backoffBaseMs: 50, backoffMaxMs: 100 },
};
