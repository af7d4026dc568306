/** How often and how patiently a step (or its compensation) is retried after its deadline passes. */
export interface RetryPolicy {
  /** Attempts in all, the first included. Default 3. */
  maxAttempts: number;
  /** Wait before the second attempt; doubled for each further one. Default 500 ms. */
  backoffBaseMs: number;
  /** Upper bound of the wait between attempts. Default 30 s. */
  backoffMaxMs: number;
  /**
   * Errors a handler may throw that no retry can cure (a validation error, say): the step fails at once and the
   * saga compensates. Any other thrown error is retried after the backoff, without waiting for the deadline.
   * Default: none.
   */
  nonRetryableErrors: readonly ErrorClass[];
}

/** A class of errors, matched with `instanceof`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ErrorClass = abstract new (...args: any[]) => Error;

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 3, backoffBaseMs: 500, backoffMaxMs: 30_000, nonRetryableErrors: [] };

export function isRetryable(policy: RetryPolicy, error: unknown): boolean {
  return !policy.nonRetryableErrors.some((type) => error instanceof type);
}

/** Wait before attempt `attempt + 1`, after `attempt` attempts have timed out (exponential, capped). */
export function backoffDelayMs(policy: RetryPolicy, attempt: number): number {
  const exponent = Math.max(0, attempt - 1);
  return Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** exponent);
}

/**
 * The wait before the next try after `faults` infrastructure faults in a row: a quarter second, doubling, at most
 * `capMs`. Shared by the stored wait of a step and the in-memory redelivery of a command.
 */
export function infrastructureBackoffMs(faults: number, capMs: number): number {
  return Math.min(capMs, 250 * 2 ** Math.min(Math.max(faults, 1) - 1, 20));
}
