import { describe, expect, it } from '@jest/globals';
import { SagaClock } from './saga-clock.js';

/** A host clock the test sets by hand, and that a reading of the reference can move (time passing in the round trip). */
class ManualClock extends SagaClock {
  hostMs = 1_000_000;
  protected override hostNowMs(): number {
    return this.hostMs;
  }
}

describe('SagaClock.anchorTo', () => {
  it('reads the host clock until anchored', () => {
    const clock = new ManualClock();
    expect(clock.now().getTime()).toBe(1_000_000);
    expect(clock.offsetMs).toBe(0);
  });

  it('takes the offset to the reference as read at the midpoint of the round trip', async () => {
    const clock = new ManualClock();
    // The host is 40 s ahead; the query takes 100 ms, and the database read its clock 30 ms in (an asymmetric trip).
    const sentAt = clock.hostMs;
    await clock.anchorTo(() => {
      clock.hostMs += 100;
      return Promise.resolve(new Date(sentAt - 40_000 + 30));
    });
    // The midpoint (sent + 50) is taken as the moment of the reading: -40 000 + 30 - 50.
    expect(clock.offsetMs).toBe(-40_020);
    expect(clock.now().getTime()).toBe(sentAt + 100 - 40_020);
  });

  it('keeps following the host clock between anchors, offset applied', async () => {
    const clock = new ManualClock();
    await clock.anchorTo(() => Promise.resolve(new Date(clock.hostMs + 5_000)));
    expect(clock.offsetMs).toBe(5_000);
    clock.hostMs += 1_234;
    expect(clock.now().getTime()).toBe(clock.hostMs + 5_000);
  });

  it('adds advance() on top of the offset, and a later anchor keeps what was advanced', async () => {
    const clock = new ManualClock();
    await clock.anchorTo(() => Promise.resolve(new Date(clock.hostMs - 40_000)));
    clock.advance(2_500);
    expect(clock.now().getTime()).toBe(clock.hostMs - 40_000 + 2_500);
    // A re-anchor measures the host again; the test's jump forward is not measured away.
    await clock.anchorTo(() => Promise.resolve(new Date(clock.hostMs - 39_000)));
    expect(clock.offsetMs).toBe(-39_000);
    expect(clock.now().getTime()).toBe(clock.hostMs - 39_000 + 2_500);
  });

  it('leaves the last offset in place when the reference cannot be read', async () => {
    const clock = new ManualClock();
    await clock.anchorTo(() => Promise.resolve(new Date(clock.hostMs + 700)));
    await expect(clock.anchorTo(() => Promise.reject(new Error('connection terminated')))).rejects.toThrow('connection terminated');
    expect(clock.offsetMs).toBe(700);
  });

  it('uses the real host clock by default', () => {
    const before = Date.now();
    const now = new SagaClock().now().getTime();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });
});
