import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import type { SagaState } from '../domain/saga-state.js';
import type { SagaStatus } from '../domain/saga-status.js';
import { SagaEndWaiters } from './saga-end-waiters.js';

const saga = (id: string, status: SagaStatus): SagaState => ({ id, status }) as SagaState;

/** A stand-in for the saga table: which sagas have ended, and every read asked of it. */
function table() {
  const ended = new Map<string, SagaState>();
  const reads: string[][] = [];
  const read = (ids: string[]): Promise<SagaState[]> => {
    reads.push(ids);
    return Promise.resolve(ids.flatMap((id) => (ended.has(id) ? [ended.get(id)!] : [])));
  };
  return { ended, reads, read };
}

describe('SagaEndWaiters', () => {
  it('finds the ends stored elsewhere with one read per poll for every saga waited on', async () => {
    const t = table();
    const waiters = new SagaEndWaiters(t.read, 30);
    const ids = Array.from({ length: 20 }, () => randomUUID());
    const waits = ids.map((id) => waiters.wait(id, 5_000));
    expect(waiters.size).toBe(20);
    t.reads.length = 0;
    for (const id of ids.slice(0, 10)) t.ended.set(id, saga(id, 'COMPLETED'));
    const first = await Promise.all(waits.slice(0, 10));
    expect(first.map((s) => s?.id)).toEqual(ids.slice(0, 10));
    // One poll read all twenty ids at once, not one read per waiter.
    expect(t.reads[0]).toHaveLength(20);
    expect(waiters.size).toBe(10);
    for (const id of ids.slice(10)) t.ended.set(id, saga(id, 'COMPENSATED'));
    expect((await Promise.all(waits.slice(10))).every((s) => s?.status === 'COMPENSATED')).toBe(true);
    expect(waiters.size).toBe(0);
  });

  it('hands an end reported by this process to every caller waiting on that saga, without a read', async () => {
    const t = table();
    const waiters = new SagaEndWaiters(t.read, 60_000);
    const id = randomUUID();
    const both = Promise.all([waiters.wait(id, 5_000), waiters.wait(id, 5_000)]);
    waiters.ended(saga(id, 'RUNNING')); // not an end
    expect(waiters.size).toBe(1);
    waiters.ended(saga(id, 'FAILED'));
    expect((await both).map((s) => s?.status)).toEqual(['FAILED', 'FAILED']);
    expect(waiters.size).toBe(0);
    waiters.stop();
  });

  it('answers at once for a saga that ended before the wait began, and null after the timeout otherwise', async () => {
    const t = table();
    const waiters = new SagaEndWaiters(t.read, 60_000);
    const done = randomUUID();
    t.ended.set(done, saga(done, 'COMPLETED'));
    expect((await waiters.wait(done, 5_000))?.status).toBe('COMPLETED');
    const started = Date.now();
    expect(await waiters.wait(randomUUID(), 100)).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(waiters.size).toBe(0);
  });

  it('keeps waiting through a failed read, and refuses what cannot be a saga id', async () => {
    let fail = true;
    const id = randomUUID();
    const waiters = new SagaEndWaiters(
      () => (fail ? Promise.reject(new Error('database away')) : Promise.resolve([saga(id, 'COMPLETED')])),
      20,
    );
    const wait = waiters.wait(id, 5_000);
    await new Promise((r) => setTimeout(r, 60));
    fail = false;
    expect((await wait)?.status).toBe('COMPLETED');
    await expect(waiters.wait('not-a-uuid', 1_000)).rejects.toThrow(/not a saga id/);
  });
});
