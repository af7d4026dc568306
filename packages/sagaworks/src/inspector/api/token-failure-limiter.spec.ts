import { describe, expect, it } from '@jest/globals';
import { TokenFailureLimiter } from './token-failure-limiter.js';

describe('TokenFailureLimiter', () => {
  it('blocks a client after maxFailures within the window, until the window that began with its first failure ends', () => {
    let now = 0;
    const limiter = new TokenFailureLimiter({}, () => now);
    for (let i = 0; i < 19; i++) {
      limiter.recordFailure('a');
      now += 1_000;
    }
    expect(limiter.retryAfterSeconds('a')).toBe(0);
    limiter.recordFailure('a'); // the 20th, 19 s after the first
    expect(limiter.retryAfterSeconds('a')).toBe(41);
    expect(limiter.retryAfterSeconds('b')).toBe(0);
    now = 59_999;
    expect(limiter.retryAfterSeconds('a')).toBe(1);
    now = 60_000;
    expect(limiter.retryAfterSeconds('a')).toBe(0);
    // a fresh window: one failure is far from the limit
    limiter.recordFailure('a');
    expect(limiter.retryAfterSeconds('a')).toBe(0);
  });

  it('starts a new window for failures spread wider than the window', () => {
    let now = 0;
    const limiter = new TokenFailureLimiter({ maxFailures: 3, windowMs: 10_000 }, () => now);
    for (let i = 0; i < 10; i++) {
      limiter.recordFailure('a');
      now += 5_000;
    }
    // at most 2 failures ever fell into one window
    expect(limiter.retryAfterSeconds('a')).toBe(0);
  });

  it('tracks at most maxClients, forgetting the one whose window began longest ago', () => {
    let now = 0;
    const limiter = new TokenFailureLimiter({ maxFailures: 2, maxClients: 3 }, () => now);
    for (const client of ['a', 'b', 'c', 'a', 'b', 'c']) {
      limiter.recordFailure(client);
      now += 1;
    }
    expect(['a', 'b', 'c'].map((c) => limiter.retryAfterSeconds(c) > 0)).toEqual([true, true, true]);
    limiter.recordFailure('d');
    expect(limiter.trackedClients).toBe(3);
    expect(limiter.retryAfterSeconds('a')).toBe(0);
    expect(limiter.retryAfterSeconds('b')).toBeGreaterThan(0);
    // a flood of addresses stays bounded
    for (let i = 0; i < 10_000; i++) limiter.recordFailure(`10.0.${i >> 8}.${i & 255}`);
    expect(limiter.trackedClients).toBe(3);
  });

  it('holds 10,000 clients by default', () => {
    const limiter = new TokenFailureLimiter();
    for (let i = 0; i < 12_000; i++) limiter.recordFailure(`client-${i}`);
    expect(limiter.trackedClients).toBe(10_000);
  });
});
