// The rows the store keeps, one interface per table (and the write shapes the ports
// take). All times are epoch milliseconds (numbers); JSON columns hold text.
import type { MessageStatus } from '../domain/status.ts';
import type { Encoding } from '../domain/encoding.ts';

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

export type NumberType = 'longcode' | 'shortcode' | 'tollfree' | 'alphanumeric';

/** A sender Switchboard owns: an E.164 number or an alphanumeric sender id. */
export interface NumberRow {
  number: string;
  provider_id: string;
  account_id: string;
  /** ISO country of the number; null for an alphanumeric sender */
  country: string | null;
  type: NumberType;
  /** JSON array, e.g. ["sms","international"] */
  capabilities: string;
  rate_per_second: number;
  /** "default" serves ordinary sends; "masking" is kept for masking sessions */
  pool: string;
  active: number;
  created_at: number;
  updated_at: number;
}

/** What a destination country allows (compliance). */
export interface CountryRuleRow {
  country: string;
  require_local: number;
  allow_alphanumeric: number;
  /** JSON array of provider ids allowed to carry traffic to this country; null = any */
  providers: string | null;
  created_at: number;
  updated_at: number;
}

/** A recipient who opted out of an account's messages (sender '' = from every number). */
export interface OptOutRow {
  account_id: string;
  number: string;
  sender: string;
  /** how it was recorded: 'keyword' (an inbound STOP) or 'api' */
  source: string;
  created_at: number;
}

/** An inbound number that forwards what it receives along a chain of destinations. */
export interface RelayRuleRow {
  number: string;
  account_id: string;
  /** JSON array of E.164 numbers, tried in order */
  destinations: string;
  /** placeholders {from}, {to}, {body} */
  template: string;
  /** 0 = deactivated (rules are never deleted, so the audit keeps its meaning) */
  active: number;
  created_at: number;
  updated_at: number;
}

export type RelayStatus = 'forwarding' | 'delivered' | 'failed' | 'blocked';

/**
 * One inbound text being relayed: the audit record. `position` is the destination being
 * tried (-1 before the first); it only moves forward, by compare-and-set, so processes
 * racing on the same receipt advance the chain once. `deadline_at` is when the current
 * attempt counts as failed without a final receipt.
 */
export interface RelayRow {
  id: string;
  account_id: string;
  /** the business number that was texted */
  number: string;
  /** who texted it */
  source: string;
  body: string;
  /** JSON array: the rule's chain when the text arrived (later edits do not change a relay under way) */
  destinations: string;
  inbound_id: string | null;
  /** with provider_message_id: unique, so one provider message is relayed at most once ('manual' for /sms/relay) */
  provider_id: string | null;
  provider_message_id: string | null;
  status: RelayStatus;
  /** why it was blocked or failed */
  reason: string | null;
  hops: number;
  position: number;
  deadline_at: number | null;
  created_at: number;
  updated_at: number;
}

export type RelayAttemptOutcome = 'pending' | 'delivered' | 'failed' | 'undelivered' | 'expired' | 'canceled' | 'timeout' | 'refused' | 'skipped';

/** One destination of a relay's chain: skipped, or sent as message_id with its outcome. */
export interface RelayAttemptRow {
  relay_id: string;
  position: number;
  destination: string;
  message_id: string | null;
  outcome: RelayAttemptOutcome;
  detail: string | null;
  started_at: number;
  finished_at: number | null;
}

/** A masking session: two participants, each texting its own proxy number. */
export interface MaskRow {
  id: string;
  account_id: string;
  context_id: string | null;
  participant_a: string;
  proxy_a: string;
  participant_b: string;
  proxy_b: string;
  expires_at: number;
  ended_at: number | null;
  /** 'expired' or 'deleted' once ended */
  end_reason: string | null;
  /** texts forwarded from a to b, and from b to a */
  messages_a: number;
  messages_b: number;
  created_at: number;
  updated_at: number;
}

/**
 * A participant's use of a proxy in a session. At most one active leg per (proxy,
 * participant): a partial unique index, so two sessions created at once cannot both give
 * a participant the same proxy.
 */
export interface MaskLegRow {
  mask_id: string;
  participant: string;
  proxy: string;
  expires_at: number;
  active: number;
}

/** One alert rule's episode state; only a state change fires a notification. */
export interface AlertRow {
  rule: string;
  state: 'ok' | 'firing';
  detail: string | null;
  fired_at: number | null;
  resolved_at: number | null;
  updated_at: number;
}

/** Attempts per provider since a time (the health window, from the ledger). */
export interface ProviderWindow {
  provider_id: string;
  sends: number;
  errors: number;
  failovers: number;
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

export type Scope = 'send' | 'read' | 'admin' | 'operator';

export interface ApiKeyRow {
  id: string;
  account_id: string;
  name: string;
  prefix: string;
  hash: string;
  scopes: string;
  created_at: number;
  updated_at: number;
  revoked_at: number | null;
  /** Standard Webhooks secret (whsec_…) that signs this key's callbacks */
  webhook_secret: string | null;
  /** where status callbacks go for messages sent with this key and no callback_url of their own */
  callback_url: string | null;
  /** the system_id an SMPP client binds with for this key (Switchboard's SMPP server) */
  smpp_system_id?: string | null;
  /** scrypt of the SMPP bind password: `scrypt$<salt>$<hash>` */
  smpp_password_hash?: string | null;
}

/** One part of a long inbound text that arrived in parts (Vonage's concat-*), kept until all are here. */
export interface InboundPartRow {
  provider_id: string;
  from_number: string;
  /** the provider's reference shared by the parts */
  concat_ref: string;
  /** 1-based */
  part: number;
  total: number;
  provider_message_id: string;
  to_number: string;
  body: string;
  webhook_id: string;
  received_at: number;
}

export interface InboundRow {
  id: string;
  account_id: string;
  provider_id: string;
  provider_message_id: string;
  from_number: string;
  to_number: string;
  body: string;
  webhook_id: string;
  received_at: number;
  created_at: number;
}

export interface CallbackRow {
  id: string;
  account_id: string;
  api_key_id: string | null;
  message_id: string;
  url: string;
  type: string;
  payload: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: number | null;
  lease_until: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  delivered_at: number | null;
}

export interface CallbackAttemptRow {
  id: string;
  callback_id: string;
  attempt: number;
  status_code: number | null;
  error: string | null;
  started_at: number;
  duration_ms: number;
}

export interface ProviderRow {
  id: string;
  kind: string;
  priority: number;
  active: number;
  config: string;
  prices: string;
  created_at: number;
  updated_at: number;
}

export interface WebhookRow {
  id: string;
  provider_id: string;
  kind: 'status' | 'inbound';
  url: string;
  headers: string;
  body: string;
  received_at: number;
  process_after: number;
  processed_at: number | null;
  lease_until: number | null;
  attempts: number;
  error: string | null;
}

/** A message to insert, with its idempotency key (hash = hash of the request body). */
export interface NewMessage {
  row: MessageRow;
  idempotency: { key: string; hash: string } | null;
  /**
   * Refuse the message if its recipient opted out, checked in the insert's own
   * transaction: an opt-out of the whole account (sender ''), or of the message's sender;
   * a message without a sender yet is refused by any of the recipient's opt-outs.
   */
  checkOptOut?: boolean;
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
}

/**
 * The rules the store applies inside its transactions but does not own: what a receipt
 * does (receipts/plan.ts) and which change is announced to the caller (callbacks/).
 * Passed in, so the store depends on no layer above it.
 */
export type ReceiptPlanner = ((message: MessageRow, parts: readonly MessagePartRow[], receipt: ReceiptWrite, now: number) => ReceiptPlan) & {
  /** where the planner is exported from: a store may then run it on another thread (it imports it there) */
  readonly module?: { url: string; name: string };
};
export type Announce = (message: MessageRow, now: number) => CallbackRow | null;

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
}


/** A public tracking page for one job's notifications (metadata.job_id); the token is kept only as its hash. */
export interface TrackingLinkRow {
  id: string;
  account_id: string;
  job_id: string;
  token_hash: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
}

/** A final message as delivery reports see it. */
export interface ReportRow {
  account_id: string;
  provider_id: string | null;
  country: string | null;
  status: string;
  price: string | null;
  metadata: string | null;
  sent_at: number | null;
  final_at: number;
}

/** How long one report rollup covers: a minute, or an hour made of its minutes. */
export type RollupSpan = 'minute' | 'hour';

/**
 * One minute (or hour) of one account's messages, by provider, country and status: the
 * rollup that reports read instead of the ledger once it is settled (services/reports.ts).
 * `status` is a final status (messages that reached it in that span) or 'accepted'
 * (messages accepted in that span).
 */
export interface ReportRollupRow {
  /** epoch ms of the span's start */
  start: number;
  account_id: string;
  /** '' when none */
  provider_id: string;
  /** '' when unknown */
  country: string;
  status: string;
  n: number;
  /** the prices summed, in millionths of the currency unit */
  price_micros: number;
  /** delivered: send → delivery latencies, JSON {"<seconds, two significant figures>": count}; else null */
  latency: string | null;
}

/** One version of an account's message template; `variables` is a JSON array of names. */
export interface TemplateRow {
  account_id: string;
  id: string;
  version: number;
  body: string;
  variables: string;
  locale: string | null;
  created_at: number;
}

/** A failover drill: the provider marked failing, and what the drill proved (`result` JSON). */
export interface DrillRow {
  id: string;
  provider_id: string;
  to_number: string;
  message_id: string | null;
  passed: number;
  result: string;
  created_at: number;
}
