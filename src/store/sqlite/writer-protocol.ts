// Messages between the SQLite store and its writer thread, and how an error crosses the
// thread boundary (structured clone keeps an Error's message but not its class or fields).
import { AppError, type ErrorCode } from '../../domain/errors.ts';
import { HOT_WRITES, type HotWrites } from './hot-writes.ts';

/** The store methods that run on the writer thread: every hot write (hot-writes.ts). */
export type WriterMethod = keyof HotWrites;
export const WRITER_METHODS = Object.keys(HOT_WRITES) as WriterMethod[];
/** Writes that must be on disk when they resolve (synchronous=FULL); the rest are redoable bookkeeping. */
export const DURABLE_WRITES: ReadonlySet<string> = new Set<WriterMethod>(['insertMessages', 'insertWebhooks']);

export interface WriterRequest {
  id: number;
  method: WriterMethod | 'close';
  args: unknown[];
}

/** What the thread is started with: the database file, and where the receipt planner it runs lives (a function cannot be posted). */
export interface WriterData { path: string; planner: { url: string; name: string } | null }

export type SerializedError = { app: { code: ErrorCode; message: string; field?: string; retryAfter?: number } } | { name: string; message: string; stack?: string; props: Record<string, unknown> };

export type WriterReply = { id: number; result: unknown; error?: undefined } | { id: number; error: SerializedError; result?: undefined };

export function serializeError(err: unknown): SerializedError {
  if (err instanceof AppError) return { app: { code: err.code, message: err.message, field: err.field, retryAfter: err.retryAfter } };
  const e = err instanceof Error ? err : new Error(String(err));
  const props: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) props[k] = v;
  return { name: e.name, message: e.message, stack: e.stack, props };
}

export function deserializeError(s: SerializedError): Error {
  if ('app' in s) return new AppError(s.app.code, s.app.message, { field: s.app.field, retryAfter: s.app.retryAfter });
  const e = Object.assign(new Error(s.message), s.props);
  e.name = s.name;
  if (s.stack) e.stack = `${s.stack}\n    at (SQLite writer thread)`;
  return e;
}
