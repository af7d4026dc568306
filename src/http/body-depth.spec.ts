import { describe, expect, it } from '@jest/globals';
import { MAX_BODY_DEPTH, nestsDeeperThan } from './body-depth';

const nested = (depth: number): unknown => JSON.parse('['.repeat(depth) + ']'.repeat(depth));

describe('nestsDeeperThan', () => {
  it('counts a top-level object or array as depth 1, scalars as nothing', () => {
    expect(nestsDeeperThan({ a: 1 }, 1)).toBe(false);
    expect(nestsDeeperThan({ a: { b: 1 } }, 1)).toBe(true);
    expect(nestsDeeperThan('x', 0)).toBe(false);
    expect(nestsDeeperThan(null, 0)).toBe(false);
  });

  it('accepts the bound and refuses one more level, in objects and arrays alike', () => {
    expect(nestsDeeperThan(nested(MAX_BODY_DEPTH), MAX_BODY_DEPTH)).toBe(false);
    expect(nestsDeeperThan(nested(MAX_BODY_DEPTH + 1), MAX_BODY_DEPTH)).toBe(true);
    const deepObject = JSON.parse('{"a":'.repeat(MAX_BODY_DEPTH + 1) + '1' + '}'.repeat(MAX_BODY_DEPTH + 1)) as unknown;
    expect(nestsDeeperThan(deepObject, MAX_BODY_DEPTH)).toBe(true);
  });

  it('finds a deep branch beside shallow ones, and walks 100,000 levels without overflowing the stack', () => {
    expect(nestsDeeperThan({ items: [{ sku: 'a' }, { deep: nested(40) }] }, MAX_BODY_DEPTH)).toBe(true);
    expect(nestsDeeperThan(nested(100_000), MAX_BODY_DEPTH)).toBe(true);
  });
});
