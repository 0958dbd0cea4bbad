// One way every list pages: `?limit=` (1–200, default 50) and `?cursor=` (the previous
// answer's `next_cursor`, passed back unchanged). A cursor this API did not hand out is
// 400 `invalid_cursor` on every route. Time-sorted ledgers page by id in the store;
// record lists (keys, providers, numbers, rules, opt-outs) are small and page here by
// their natural key.
import { AppError } from '../domain/errors.ts';

export const DEFAULT_LIMIT = 50;
export const pageQuery = {
  limit: { type: 'integer', minimum: 1, maximum: 200, default: DEFAULT_LIMIT },
  cursor: { type: 'string', maxLength: 512 },
} as const;

export interface PageQuery { limit?: number; cursor?: string }
export interface Page<T> { data: T[]; next_cursor: string | null }

const bad = () => new AppError('invalid_cursor', 'cursor is not one this API returned', { field: 'cursor' });

export function encodeCursor(id: string): string { return Buffer.from(id).toString('base64url'); }

/** The id inside a cursor over ids with this prefix (`msg`, `rly`, …). */
export function decodeCursor(c: string, prefix: string): string {
  const id = Buffer.from(c, 'base64url').toString();
  if (!new RegExp(`^${prefix}_[0-9A-Z]{26}$`).test(id) || encodeCursor(id) !== c) throw bad();
  return id;
}

/** Pages rows the store fetched with `limit + 1` (newest first, by id). */
export function pageFetched<T, R>(rows: T[], limit: number, id: (r: T) => string, present: (r: T) => R): Page<R> {
  const page = rows.slice(0, limit);
  return { data: page.map((r) => present(r)), next_cursor: rows.length > limit ? encodeCursor(id(page[page.length - 1])) : null };
}

/** Pages a whole record list in memory, in order of `key` (unique per row). */
export function pageByKey<T, R>(rows: readonly T[], key: (r: T) => string, tag: string, q: PageQuery, present: (r: T) => R): Page<R> {
  const limit = q.limit ?? DEFAULT_LIMIT;
  let after: string | null = null;
  if (q.cursor !== undefined) {
    const text = Buffer.from(q.cursor, 'base64url').toString();
    if (!text.startsWith(`${tag}:`) || encodeCursor(text) !== q.cursor) throw bad();
    after = text.slice(tag.length + 1);
  }
  const sorted = [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const rest = after === null ? sorted : sorted.filter((r) => key(r) > after);
  const page = rest.slice(0, limit);
  return { data: page.map(present), next_cursor: rest.length > limit ? encodeCursor(`${tag}:${key(page[page.length - 1])}`) : null };
}
