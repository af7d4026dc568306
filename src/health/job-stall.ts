/** What the readiness check needs to know of the timeout job. */
export interface JobPassInfo {
  enabled: boolean;
  intervalMs: number;
  lastPass: { at: Date; claimed: number; durationMs: number; ok: boolean } | null;
}

/** A pass may legitimately be late by a slow batch or a GC pause; only this long a silence means stuck. */
export const MIN_STALL_MS = 30_000;

/**
 * The job is stalled when it should run here but has not finished a pass for ten intervals (at least 30 s), or
 * has not finished any 30 s after start-up. A stalled job means deadlines pass unnoticed: sagas stop retrying
 * and compensating, so the instance must not count as ready.
 */
export function jobStallMs(job: JobPassInfo, bootedAt: Date, now: Date): number | null {
  if (!job.enabled) return null;
  const since = job.lastPass?.at ?? bootedAt;
  const allowed = job.lastPass ? Math.max(10 * job.intervalMs, MIN_STALL_MS) : MIN_STALL_MS;
  const silentMs = now.getTime() - since.getTime();
  return silentMs > allowed ? silentMs : null;
}
