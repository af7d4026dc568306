import { describe, expect, it } from '@jest/globals';
import { jobStallMs, MIN_STALL_MS } from './job-stall';

const boot = new Date('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(boot.getTime() + ms);
const pass = (ms: number) => ({ at: at(ms), claimed: 0, durationMs: 5, ok: true });

describe('jobStallMs', () => {
  it('never reports a disabled job', () => {
    expect(jobStallMs({ enabled: false, intervalMs: 1000, lastPass: null }, boot, at(10 * MIN_STALL_MS))).toBeNull();
  });

  it('gives a job that has not passed yet 30 s from start-up', () => {
    const job = { enabled: true, intervalMs: 1000, lastPass: null };
    expect(jobStallMs(job, boot, at(MIN_STALL_MS))).toBeNull();
    expect(jobStallMs(job, boot, at(MIN_STALL_MS + 1))).toBe(MIN_STALL_MS + 1);
  });

  it('allows ten intervals since the last pass, at least 30 s', () => {
    expect(jobStallMs({ enabled: true, intervalMs: 100, lastPass: pass(0) }, boot, at(29_000))).toBeNull();
    expect(jobStallMs({ enabled: true, intervalMs: 100, lastPass: pass(0) }, boot, at(31_000))).toBe(31_000);
    expect(jobStallMs({ enabled: true, intervalMs: 10_000, lastPass: pass(0) }, boot, at(99_000))).toBeNull();
    expect(jobStallMs({ enabled: true, intervalMs: 10_000, lastPass: pass(0) }, boot, at(101_000))).toBe(101_000);
  });
});
