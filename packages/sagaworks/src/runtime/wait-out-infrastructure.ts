import { infrastructureBackoffMs } from '../definition/retry-policy.js';

export interface WaitOutOptions {
  isTransient: (error: unknown) => boolean;
  /** Called before each wait, with the fault and how long the wait is. */
  onWait: (error: unknown, waitMs: number) => void;
  /** Stops waiting (the host is shutting down): the last fault is thrown. */
  stopped: () => boolean;
  /** Cap of the doubling wait. */
  maxWaitMs?: number;
}

/**
 * Runs `work` until it gets past infrastructure faults: a transient fault is waited out with a capped, doubling
 * backoff and `work` is run again; any other error is thrown. For applying a reply: its transition is
 * conditional, so running it again after a fault that may have hit after the commit changes nothing.
 * A crash loses only the reply held here; the step's lease then lapses and it is resumed, unspent.
 */
export async function waitOutInfrastructure<T>(work: () => Promise<T>, options: WaitOutOptions): Promise<T> {
  for (let faults = 1; ; faults++) {
    try {
      return await work();
    } catch (error) {
      if (!options.isTransient(error) || options.stopped()) throw error;
      const waitMs = infrastructureBackoffMs(faults, options.maxWaitMs ?? 30_000);
      options.onWait(error, waitMs);
      await new Promise<void>((resolve) => setTimeout(resolve, waitMs).unref());
    }
  }
}
