import { describe, expect, it } from '@jest/globals';
import { waitOutInfrastructure } from './wait-out-infrastructure.js';

const transient = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
const isTransient = (e: unknown) => (e as { code?: string }).code === '57P01';

describe('waitOutInfrastructure', () => {
  it('runs the work again after each transient fault, with a doubling wait, until it succeeds', async () => {
    let runs = 0;
    const waits: number[] = [];
    const result = await waitOutInfrastructure(
      () => {
        runs++;
        return runs < 3 ? Promise.reject(transient) : Promise.resolve('stored');
      },
      { isTransient, onWait: (_e, ms) => waits.push(ms), stopped: () => false },
    );
    expect(result).toBe('stored');
    expect(runs).toBe(3);
    expect(waits).toEqual([250, 500]);
  });

  it('throws any other error at once, and a transient one once the host stops', async () => {
    const business = new Error('version conflict');
    await expect(
      waitOutInfrastructure(() => Promise.reject(business), { isTransient, onWait: () => undefined, stopped: () => false }),
    ).rejects.toBe(business);
    await expect(
      waitOutInfrastructure(() => Promise.reject(transient), { isTransient, onWait: () => undefined, stopped: () => true }),
    ).rejects.toBe(transient);
  });
});
