// Bulk sends. Terms:
// - batch: one request of up to 10,000 recipients (POST /v1/batches), validated whole,
//   with one id. Its messages are inserted in one transaction (MessageLedger.insertMessages),
//   each with an idempotency key derived from the batch, so accepting a batch again (a
//   retry with the same Idempotency-Key, after a crash between the batch row and its
//   messages) inserts none twice.
// - state: `accepting` from its row until its messages are in, then `accepted`.
// - refused: recipients the insert refused (opted out), kept on the batch with the reason;
//   they have no message.
// - counts: its messages by status, read through messages_batch.
import type { MessageStatus } from '../../domain/status.ts';

export interface BatchRow {
  id: string;
  account_id: string;
  idempotency_key: string | null;
  request_hash: string;
  state: 'accepting' | 'accepted';
  total: number;
  accepted: number;
  /** JSON: [{ index, to, code, message }] */
  refused: string;
  created_at: number;
  updated_at: number;
}

export interface BatchStore {
  /** Stores a new batch, or answers the one the account made with this idempotency key. */
  createBatch(row: BatchRow): Promise<{ created: boolean; batch: BatchRow }>;
  finishBatch(id: string, accepted: number, refused: string, now: number): Promise<void>;
  getBatch(accountId: string | null, id: string): Promise<BatchRow | undefined>;
  /** newest first; `before` is an id cursor */
  listBatches(accountId: string, before: string | undefined, limit: number): Promise<BatchRow[]>;
  /** the batch's messages by status */
  batchCounts(id: string): Promise<Partial<Record<MessageStatus, number>>>;
  /** the batch's messages that did not make it (failed, undelivered, expired, canceled), in recipient order */
  batchFailures(id: string): Promise<{ id: string; to_number: string; status: string; error_code: string | null; error_message: string | null; metadata: string | null }[]>;
}
