import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CommandBus, EventBus } from '@nestjs/cqrs';
import { SagaStateCache } from '../../packages/sagaworks/src/runtime/saga-state-cache.js';
import type { SagaState } from 'sagaworks';
import { startTestApp, type TestApp } from '../support/test-app';
import { databaseKinds } from '../support/test-database';
import { expectedOutcomes, runLoad, SagaEndWatcher } from './load';

const cacheOf = (t: TestApp): { size: number } => (t.orchestrator as unknown as { cache: { size: number } }).cache;
/** Live timers, less the idle-timeout timer each idle connection of the pg pool holds (how many are idle varies). */
const timers = (t: TestApp): number => {
  const pool = (t.dataSource.driver as unknown as { master?: { _idle?: unknown[] } }).master;
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length - (pool?._idle?.length ?? 0);
};

/** A leaked timer stays; one of work still finishing (a job pass, a pool release) goes within moments. */
async function settledTimers(t: TestApp, atMost: number): Promise<number> {
  const until = Date.now() + 3_000;
  while (timers(t) > atMost && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  return timers(t);
}

describe('SagaStateCache', () => {
  it('is bounded: past its capacity the least recently stored saga leaves', () => {
    const cache = new SagaStateCache(3);
    for (const id of ['a', 'b', 'c', 'd', 'e']) cache.set({ id } as SagaState);
    expect(cache.size).toBe(3);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('e')).toBeDefined();
  });
});

/*
 * The heap check itself needs global.gc, which Jest does not give: `node --expose-gc dist/test/bench/bench.js
 * --heap` measures it. Here: the structures that would leak are asserted instead. The runtime cache holds
 * sagas in flight only (terminal sagas leave it), and nothing leaves a timer behind.
 */
for (const kind of databaseKinds())
  describe(`memory after many sagas, on ${kind}`, () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp(kind, { seedStock: 100_000 });
    });

    afterAll(async () => {
      await t?.close();
    });

    it('leaves no saga in the runtime cache and no timer behind once every saga has ended', async () => {
      const watcher = new SagaEndWatcher(t.app.get(EventBus));
      const target = { commandBus: t.app.get(CommandBus), baseUrl: null, watcher };
      const n = kind === 'pglite' ? 80 : 200;
      const concurrency = 16;
      // A first round opens the pool's connections (each idle one holds an idle-timeout timer), then the second
      // round is compared with it.
      await runLoad(target, concurrency * 2, concurrency, 'mix');
      const timersBefore = timers(t);
      let peak = 0;
      // Sampled on every event rather than on a timer: on PGlite a run is one long chain of promise continuations
      // that never yields to the timers phase.
      const sampler = t.app.get(EventBus).subscribe(() => (peak = Math.max(peak, cacheOf(t).size)));
      try {
        const result = await runLoad(target, n, concurrency, 'mix', concurrency * 2);
        expect(result.outcomes).toEqual(expectedOutcomes(n, 'mix', concurrency * 2));
      } finally {
        sampler.unsubscribe();
        watcher.close();
      }
      expect(peak).toBeGreaterThan(0);
      expect(peak).toBeLessThanOrEqual(concurrency);
      expect(cacheOf(t).size).toBe(0);
      expect(await settledTimers(t, timersBefore)).toBeLessThanOrEqual(timersBefore);
    });
  });
