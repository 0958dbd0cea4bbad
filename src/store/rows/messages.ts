// The message ledger: messages, their parts, attempts and events, and the write shapes the
// worker and receipts hand the store. All times are epoch milliseconds (numbers); JSON
// columns hold text.
import type { MessageStatus } from '../../domain/status.ts';
import type { Encoding } from '../../domain/encoding.ts';
import type { OptOutRow } from './records.ts';
import type { CallbackRow } from './webhooks-callbacks.ts';
import type { OutboxRow } from './outbox.ts';

export interface MessageRow {
  id: string;
  account_id: string;
  api_key_id: string | null;
  to_number: string;
  from_number: string | null;
  requested_from: string | null;
  country: string | null;
  body: string;
  encoding: Encoding;
  segments: number;
  price: string | null;
  currency: string;
  status: MessageStatus;
  provider_id: string | null;
  provider_message_id: string | null;
  callback_url: string | null;
  metadata: string | null;
  idempotency_key: string | null;
  send_at: number | null;
  expires_at: number | null;
  attempts: number;
  throttled_attempts: number;
  next_attempt_at: number | null;
  lease_owner: string | null;
  error_code: string | null;
  error_message: string | null;
  /** the provider's own code for the error (error_code is the catalog's, domain/message-errors.ts) */
  provider_error_code: string | null;
  created_at: number;
  updated_at: number;
  sent_at: number | null;
  final_at: number | null;
  /** 1 when this claim found the message still `sending` under an expired or released lease: an earlier send may have reached the provider */
  interrupted?: number;
  /** the template (and its version) the body was rendered from */
  template_id?: string | null;
  template_version?: number | null;
  /** 'sms' (default) or 'voice': a text-to-speech call of the body */
  channel?: 'sms' | 'voice';
  /** a call's options, JSON: { voice?, language?, fallback_sms? } */
  voice_options?: string | null;
  /** 1 once a simulator carried it (the built-in one, or a record of kind simulator): it never left the building */
  simulated?: number;
  /** failover on no receipt: sent once more through another provider if no final receipt came this long after the send */
  failover_after_ms?: number | null;
  /** when that resend is due (set with the first send; cleared once it is done) */
  failover_at?: number | null;
  /** the provider whose receipt did not come: the resend goes elsewhere, and its parts stay as superseded (part_index + SUPERSEDED_PART) */
  failover_from?: string | null;
  /** its lane (domain/lanes.ts): 0 urgent, 1 normal (default), 2 bulk */
  lane?: number;
  /** its turn key within the lane (domain/lanes.ts), given by the store at insert */
  fair_key?: number;
  /** the conversation it was sent on (domain/conversations.ts), when the caller named one */
  conversation_id?: string | null;
  /** 1: look the number up (line type, current network) before routing it (issue 28) */
  lookup?: number | null;
  /** transactional (null) or marketing (domain/consent.ts) */
  category?: string | null;
  /** the consent scope it falls under, if any */
  topic?: string | null;
  /** the bulk send it came in (ports/batches.ts) */
  batch_id?: string | null;
  /** JSON { start, end, zones }: the quiet hours it keeps to (domain/send-window.ts), checked again when it is sent */
  send_window?: string | null;
}

/** Added to the part_index of a provider's parts when the message is sent once more elsewhere (failover on no receipt): kept, and their late receipts recorded. */
export const SUPERSEDED_PART = 1000;

/** A part of a sent message that the provider gave its own id to; receipts are about parts. */
export interface MessagePartRow {
  message_id: string;
  /** 0-based */
  part_index: number;
  provider_id: string;
  provider_message_id: string;
  /** the part's own status: sent, then what its receipts said (forward only) */
  status: MessageStatus;
  error_code: string | null;
  error_message: string | null;
  provider_error_code: string | null;
  created_at: number;
  updated_at: number;
  /** when reconciliation last asked the provider about this part */
  reconciled_at: number | null;
}

export interface AttemptRow {
  id: string;
  message_id: string;
  attempt: number;
  provider_id: string;
  from_number: string | null;
  outcome: 'sent' | 'transient' | 'throttled' | 'permanent';
  error_code: string | null;
  error_message: string | null;
  provider_error_code: string | null;
  provider_message_id: string | null;
  started_at: number;
  finished_at: number;
  /** 1 when this attempt failed and the send moved on to another route at once */
  failover: number;
  /**
   * Why this claim went where it did (on its last attempt), compact JSON:
   * `{"c":[[provider, price, score, circuit, result], …], "x":[[provider, reason], …]}`
   */
  route_explanation?: string | null;
}

export interface EventRow {
  id: string;
  message_id: string;
  type: 'receipt' | 'status';
  status: MessageStatus | null;
  provider_id: string | null;
  provider_status: string | null;
  error_code: string | null;
  webhook_id: string | null;
  occurred_at: number;
  created_at: number;
  detail: string | null;
}

/** A message to insert, with its idempotency key (hash = hash of the request body). */
export interface NewMessage {
  row: MessageRow;
  /** the account's weight among the flows of its lane (domain/lanes.ts; default 1) */
  weight?: number;
  idempotency: { key: string; hash: string } | null;
  /**
   * Refuse the message if its recipient opted out, checked in the insert's own
   * transaction: an opt-out of the whole account (sender ''), or of the message's sender;
   * a message without a sender yet is refused by any of the recipient's opt-outs.
   */
  checkOptOut?: boolean;
  /** only opt-outs that name the message's topic refuse it (a transactional message of an account that lets those past) */
  optOutTopicsOnly?: boolean;
  /** the events announcing it (message.accepted), written only if it is inserted */
  outbox?: OutboxRow[];
}

export type InsertResult =
  | { kind: 'inserted'; message: MessageRow }
  | { kind: 'duplicate'; message: MessageRow }
  | { kind: 'conflict' }
  /** the recipient's opt-out that refused it (the newest that applies) */
  | { kind: 'opted_out'; optOut: OptOutRow };

/** The worker's write-back after one attempt (or an expiry found at claim time). */
export interface Outcome {
  messageId: string;
  leaseOwner: string;
  /** the fields of the message to set */
  set: Pick<MessageRow, 'status' | 'attempts' | 'throttled_attempts' | 'next_attempt_at'> &
    Partial<Pick<MessageRow, 'provider_id' | 'provider_message_id' | 'from_number' | 'error_code' | 'error_message' | 'provider_error_code' | 'sent_at' | 'final_at' | 'price' | 'simulated' | 'failover_at'>>;
  /** the message's parts so far are superseded before `parts` are written (a resend after no receipt) */
  supersedeParts?: boolean;
  /** the attempts made in this claim: more than one when the send failed over */
  attempts: AttemptRow[];
  /** the parts the provider accepted, when the send succeeded */
  parts: MessagePartRow[];
  event: EventRow | null;
  /** the caller's callback for this change, written with it */
  callback: CallbackRow | null;
  /** the events announcing this change, written with it */
  outbox?: OutboxRow[];
  now: number;
}

/** A receipt matched to the message it reports on, resolved by the receipts module. */
export interface ReceiptWrite {
  webhookId: string;
  providerId: string;
  providerMessageId: string;
  status: MessageStatus | null;
  providerStatus: string;
  /** the catalog code (domain/message-errors.ts) */
  errorCode: string | null;
  /** the provider's own code */
  providerErrorCode: string | null;
  errorMessage: string | null;
  occurredAt: number;
  detail: string | null;
}

/** What one receipt does to a message and its part (computed by receipts/plan.ts, written by the store). */
export interface ReceiptPlan {
  event: EventRow;
  /** fields to set on the part the receipt names, or null when it does not move */
  part: { index: number; set: Pick<MessagePartRow, 'status' | 'error_code' | 'error_message' | 'provider_error_code' | 'updated_at'> } | null;
  /** fields to set on the message, or null when the status does not move */
  set: Partial<MessageRow> | null;
  /** the caller's callback announcing the change */
  callback: CallbackRow | null;
  /** the events: the receipt itself, and the status it moved the message to */
  outbox?: OutboxRow[];
}

/**
 * The rules the store applies inside its transactions but does not own: what a receipt
 * does (receipts/plan.ts) and which change is announced to the caller (callbacks/).
 * Passed in, so the store depends on no layer above it.
 */
export type ReceiptPlanner = (message: MessageRow, parts: readonly MessagePartRow[], receipt: ReceiptWrite, now: number) => ReceiptPlan;

/** A planner and the module that exports it, so a store that writes on another thread can import it there once, when the thread starts. */
export interface ReceiptPlannerModule { plan: ReceiptPlanner; url: string; name: string }

export type Announce = (message: MessageRow, now: number) => CallbackRow | null;
/** The events a change announces (public/events.ts), built inside the store's transaction from the changed row. */
export type AnnounceEvents = (message: MessageRow, now: number) => OutboxRow[];

export interface ReceiptResult {
  /** the message after the receipt, or null when no message has that provider id */
  message: MessageRow | null;
  /** true when the receipt moved the message's status */
  changed: boolean;
  previous: MessageStatus | null;
}

export interface MessageFilter {
  accountId: string;
  status?: MessageStatus;
  to?: string;
  from?: string;
  provider?: string;
  since?: number;
  until?: number;
  metadata?: Record<string, string>;
  /** return rows with id < before (ids are time-sortable; lists are newest first) */
  before?: string;
  limit: number;
}

export type CancelResult = { kind: 'canceled'; message: MessageRow } | { kind: 'not_found' } | { kind: 'not_cancelable'; message: MessageRow };

export interface QueueStats {
  depth: number;
  oldestDueAt: number | null;
  /** messages not yet final, by status (scheduled, queued, sending, sent); final ones are counted by switchboard_messages_final_total */
  byStatus: Record<string, number>;
  /** the queue (queued and sending) by account and lane, with when its oldest due message was due */
  lanes: { account_id: string; lane: number; depth: number; oldestDueAt: number | null }[];
}

/**
 * What a claim returns: the rows claimed and, for a paced claim, `refused` when another
 * process's paced claim took this window (MessageLedger.claimDue): nothing was claimed,
 * and the caller may stay out of the next windows (loop/pace.ts).
 */
export type Claimed<T> = T[] & { refused?: boolean };

/** Every column of a message row as intake writes it (both stores' hot insert). */
export const MESSAGE_COLUMNS = [
  'id', 'account_id', 'api_key_id', 'to_number', 'from_number', 'requested_from', 'country', 'body', 'encoding',
  'segments', 'price', 'currency', 'status', 'provider_id', 'provider_message_id', 'callback_url', 'metadata',
  'idempotency_key', 'send_at', 'expires_at', 'attempts', 'throttled_attempts', 'next_attempt_at', 'lease_owner',
  'error_code', 'error_message', 'provider_error_code', 'created_at', 'updated_at', 'sent_at', 'final_at', 'template_id', 'template_version', 'channel', 'voice_options',
  'failover_after_ms', 'lane', 'fair_key', 'conversation_id', 'lookup', 'category', 'topic', 'batch_id', 'send_window',
] as const satisfies readonly (keyof MessageRow)[];
