// Callbacks to callers: one row per announced status change (written in the same
// transaction as the change), claimed under a lease, every delivery attempt recorded.
import type { CallbackAttemptRow, CallbackRow } from '../rows.ts';

/**
 * Which due callbacks a claimer takes: `http`, every one posted over HTTP; `smpp`, SMPP
 * receipts (type smpp.receipt) for the given targets (`smpp:<system_id>`: the system_ids
 * with a receiver bound to this process), or, with `createdBefore`, any target's older
 * than that (to expire them).
 */
export type CallbackFinish = Pick<CallbackRow, 'status' | 'attempts' | 'next_attempt_at' | 'last_error' | 'delivered_at'>;

export type CallbackClaim = { via: 'http' } | { via: 'smpp'; urls: readonly string[] } | { via: 'smpp'; createdBefore: number };

export interface CallbackQueue {
  claimCallbacks(now: number, leaseMs: number, limit: number, claim?: CallbackClaim): Promise<CallbackRow[]>;
  finishCallback(id: string, set: CallbackFinish, attempt: CallbackAttemptRow, now: number): Promise<void>;
  /** finishCallback for many, in one transaction */
  finishCallbacks(done: { id: string; set: CallbackFinish; attempt: CallbackAttemptRow }[], now: number): Promise<void>;
  /** Queues callbacks not tied to a status change (an inbound text); one already queued (same id) is left as it is. */
  insertCallbacks(rows: CallbackRow[]): Promise<void>;
  /** the callbacks of a message or an inbound text, by its id */
  listCallbacks(messageId: string): Promise<CallbackRow[]>;
  listCallbackAttempts(callbackId: string): Promise<CallbackAttemptRow[]>;
}
