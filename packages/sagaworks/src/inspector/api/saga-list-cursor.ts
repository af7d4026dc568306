import type { SagaListCursor } from '../../persistence/saga-list-query.js';

const CREATED_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A cursor is at most this long; anything longer is refused before it is decoded. */
export const MAX_CURSOR_LENGTH = 200;

/** The opaque `cursor` of `GET /sagas`: base64url of "<created_at>|<id>" of a page's last row. */
export function encodeSagaListCursor(cursor: SagaListCursor): string {
  return Buffer.from(`${cursor.createdAt}|${cursor.id}`, 'utf8').toString('base64url');
}

/** The position a cursor names, or null when it is not one this API handed out. */
export function decodeSagaListCursor(text: string): SagaListCursor | null {
  if (text.length === 0 || text.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(text)) return null;
  const [createdAt, id, ...rest] = Buffer.from(text, 'base64url').toString('utf8').split('|');
  if (rest.length > 0 || !createdAt || !id || !CREATED_AT.test(createdAt) || !UUID.test(id)) return null;
  // The regex lets 30 February through; a time that does not survive a round trip is no time PostgreSQL takes.
  const at = new Date(createdAt);
  if (Number.isNaN(at.getTime()) || at.toISOString().slice(0, 19) !== createdAt.slice(0, 19)) return null;
  return { createdAt, id };
}
