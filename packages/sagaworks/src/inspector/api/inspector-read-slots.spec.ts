import { describe, expect, it } from '@jest/globals';
import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { firstValueFrom, from, throwError } from 'rxjs';
import { InspectorReadSlots } from './inspector-read-slots.js';

const context = {} as ExecutionContext;

/** A read that stays open until `finish` is called, recording when it started. */
function openRead(started: string[], name: string): { handler: CallHandler; finish: (fail?: boolean) => void } {
  let settle: (fail: boolean) => void = () => undefined;
  const done = new Promise<boolean>((resolve) => (settle = resolve));
  return {
    handler: {
      handle: () => {
        started.push(name);
        return from(done.then((fail) => (fail ? Promise.reject(new Error(`${name} failed`)) : name)));
      },
    },
    finish: (fail = false) => settle(fail),
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('InspectorReadSlots', () => {
  it('runs at most readConcurrency reads at once and starts the waiting ones in arrival order', async () => {
    const slots = new InspectorReadSlots({ readConcurrency: 2 });
    const started: string[] = [];
    const reads = ['a', 'b', 'c', 'd'].map((name) => openRead(started, name));
    const answers = reads.map((r) => firstValueFrom(slots.intercept(context, r.handler)));
    await tick();
    expect(started).toEqual(['a', 'b']);
    expect(slots.load).toEqual({ running: 2, waiting: 2 });

    reads[1].finish();
    await tick();
    expect(started).toEqual(['a', 'b', 'c']);
    reads[0].finish();
    await tick();
    expect(started).toEqual(['a', 'b', 'c', 'd']);
    reads[2].finish();
    reads[3].finish();
    expect(await Promise.all(answers)).toEqual(['a', 'b', 'c', 'd']);
    expect(slots.load).toEqual({ running: 0, waiting: 0 });
  });

  it('gives the slot back when a read fails, so an error never shrinks the pool of slots', async () => {
    const slots = new InspectorReadSlots({ readConcurrency: 1 });
    const failing: CallHandler = { handle: () => throwError(() => new Error('database gone')) };
    await expect(firstValueFrom(slots.intercept(context, failing))).rejects.toThrow('database gone');
    expect(slots.load).toEqual({ running: 0, waiting: 0 });

    const started: string[] = [];
    const read = openRead(started, 'next');
    const answer = firstValueFrom(slots.intercept(context, read.handler));
    await tick();
    expect(started).toEqual(['next']);
    read.finish(true);
    await expect(answer).rejects.toThrow('next failed');
    expect(slots.load).toEqual({ running: 0, waiting: 0 });
  });

  it('defaults to two reads at once and never to fewer than one', async () => {
    const started: string[] = [];
    for (const [options, expected] of [
      [{}, 2],
      [{ readConcurrency: 0 }, 1],
    ] as const) {
      started.length = 0;
      const slots = new InspectorReadSlots(options);
      const reads = ['x', 'y', 'z'].map((name) => openRead(started, name));
      const answers = reads.map((r) => firstValueFrom(slots.intercept(context, r.handler)));
      await tick();
      expect(started).toHaveLength(expected);
      reads.forEach((r) => r.finish());
      await Promise.all(answers);
    }
  });
});
