// Callbacks to callers: one row per announced status change (written in the same
// transaction as the change), claimed under a lease, every delivery attempt recorded.
import type { CallbackAttemptRow, CallbackRow } from '../rows.ts';

export interface CallbackQueue {
  claimCallbacks(now: number, leaseMs: number, limit: number): Promise<CallbackRow[]>;
  finishCallback(id: string, set: Pick<CallbackRow, 'status' | 'attempts' | 'next_attempt_at' | 'last_error' | 'delivered_at'>, attempt: CallbackAttemptRow, now: number): Promise<void>;
  listCallbacks(messageId: string): Promise<CallbackRow[]>;
  listCallbackAttempts(callbackId: string): Promise<CallbackAttemptRow[]>;
}
