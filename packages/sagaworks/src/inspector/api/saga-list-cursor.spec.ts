import { describe, expect, it } from '@jest/globals';
import { decodeSagaListCursor, encodeSagaListCursor } from './saga-list-cursor.js';

const id = '0b6f3c1e-5d2a-4c8e-9f10-2a3b4c5d6e7f';

describe('the saga list cursor', () => {
  it('round-trips a position to the microsecond, as base64url', () => {
    const cursor = { createdAt: '2026-12-02T04:56:01.123456Z', id };
    const text = encodeSagaListCursor(cursor);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeSagaListCursor(text)).toEqual(cursor);
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'a+b/c='],
    ['no separator', Buffer.from('2026-12-02T04:56:01Z').toString('base64url')],
    ['a bad time', Buffer.from(`yesterday|${id}`).toString('base64url')],
    ['an impossible time', Buffer.from(`2026-13-45T99:99:99Z|${id}`).toString('base64url')],
    ['30 February', Buffer.from(`2026-02-30T00:00:00Z|${id}`).toString('base64url')],
    ['a bad id', Buffer.from('2026-12-02T04:56:01Z|not-a-uuid').toString('base64url')],
    ['extra parts', Buffer.from(`2026-12-02T04:56:01Z|${id}|x`).toString('base64url')],
    ['too long', 'A'.repeat(201)],
  ])('refuses %s', (_, text) => {
    expect(decodeSagaListCursor(text)).toBeNull();
  });
});
