// The Store contract: everything Switchboard keeps, behind one interface with two
// implementations (sqlite/, postgres/) that pass one test suite (test/store/*).
//
// Glossary
// - ledger: the `messages` table. It is also the send queue: a row is *due* when its
//   status is scheduled/queued (or sending with an expired lease) and next_attempt_at <= now.
// - claim: one statement that takes a batch of due rows, marks them `sending`, stamps a
//   lease (lease_owner, next_attempt_at = lease deadline) and counts the attempt. A worker
//   that dies leaves its rows to be claimed again when the lease runs out.
// - outcome: what a worker writes back after an attempt; fenced by lease_owner so a
//   worker whose lease was taken over cannot overwrite the new owner's result.
// - raw webhook: a provider callback stored verbatim before it is parsed; `process_after`
//   lets a provider (the simulator) hand in a receipt that becomes due later.
// - receipt: a delivery report parsed from a raw webhook, applied forward-only.
// All times are epoch milliseconds (numbers); JSON columns hold text.
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
  created_at: number;
  updated_at: number;
  sent_at: number | null;
  final_at: number | null;
}

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
  created_at: number;
  updated_at: number;
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
  provider_message_id: string | null;
  started_at: number;
  finished_at: number;
  /** 1 when this attempt failed and the send moved on to another route at once */
  failover: number;
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
}

export type InsertResult =
  | { kind: 'inserted'; message: MessageRow }
  | { kind: 'duplicate'; message: MessageRow }
  | { kind: 'conflict' };

/** The worker's write-back after one attempt (or an expiry found at claim time). */
export interface Outcome {
  messageId: string;
  leaseOwner: string;
  /** the fields of the message to set */
  set: Pick<MessageRow, 'status' | 'attempts' | 'throttled_attempts' | 'next_attempt_at'> &
    Partial<Pick<MessageRow, 'provider_id' | 'provider_message_id' | 'from_number' | 'error_code' | 'error_message' | 'sent_at' | 'final_at' | 'price'>>;
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
  errorCode: string | null;
  errorMessage: string | null;
  occurredAt: number;
  detail: string | null;
}

/** What one receipt does to a message and its part (computed by receipts/plan.ts, written by the store). */
export interface ReceiptPlan {
  event: EventRow;
  /** fields to set on the part the receipt names, or null when it does not move */
  part: { index: number; set: Pick<MessagePartRow, 'status' | 'error_code' | 'error_message' | 'updated_at'> } | null;
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
export type ReceiptPlanner = (message: MessageRow, parts: readonly MessagePartRow[], receipt: ReceiptWrite, now: number) => ReceiptPlan;
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
  byStatus: Record<string, number>;
}

export interface Store {
  /** which database this is (shown in logs and /readyz; nothing outside store/ branches on it) */
  readonly dialect: 'sqlite' | 'postgres';
  /** calls `onWake` when another process queues a message (PostgreSQL LISTEN/NOTIFY); absent where there is no other process to hear from */
  listen?(onWake: () => void): Promise<void>;
  migrate(): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;

  createApiKey(row: ApiKeyRow): Promise<void>;
  findApiKeyByHash(hash: string): Promise<ApiKeyRow | undefined>;
  listApiKeys(accountId?: string): Promise<ApiKeyRow[]>;
  revokeApiKey(id: string, now: number): Promise<boolean>;
  ensureAccount(id: string, name: string, now: number): Promise<void>;

  listProviders(): Promise<ProviderRow[]>;
  upsertProvider(row: ProviderRow): Promise<void>;
  listNumbers(): Promise<NumberRow[]>;
  upsertNumber(row: NumberRow): Promise<void>;
  listCountryRules(): Promise<CountryRuleRow[]>;
  upsertCountryRule(row: CountryRuleRow): Promise<void>;
  /** The sender and provider of the latest message sent to `to` (sticky sender). */
  lastSender(to: string): Promise<{ from_number: string; provider_id: string } | undefined>;
  /** Attempts, errors and failovers per provider since `since` (the health window). */
  providerWindows(since: number, accountId?: string): Promise<ProviderWindow[]>;
  /** Failovers across all providers since `since`. */
  countFailovers(since: number): Promise<number>;
  /** Moves an alert rule to `state`; true only for the call that changed it (fires once). */
  setAlertState(rule: string, state: AlertRow['state'], detail: string | null, now: number): Promise<boolean>;
  listAlerts(): Promise<AlertRow[]>;

  /** Records an opt-out; one already recorded is kept as it is. */
  addOptOut(row: OptOutRow): Promise<void>;
  /** Removes a recipient's opt-outs: for one sender, or all of them (sender null); returns how many. */
  removeOptOuts(accountId: string, number: string, sender: string | null): Promise<number>;
  /** The account's opt-outs, of one recipient if `number` is given. */
  listOptOuts(accountId: string | null, number?: string): Promise<OptOutRow[]>;

  /** Inserts a batch in one transaction (one commit). Results are in input order. */
  upsertRelayRule(row: RelayRuleRow): Promise<void>;
  /** every rule, or one account's */
  listRelayRules(accountId?: string): Promise<RelayRuleRow[]>;
  getRelayRule(number: string): Promise<RelayRuleRow | undefined>;
  /** false when this provider message was already relayed */
  insertRelay(row: RelayRow): Promise<boolean>;
  getRelay(id: string): Promise<RelayRow | undefined>;
  /** newest first; `before` is an id cursor */
  listRelays(f: { accountId?: string; number?: string; before?: string; limit: number }): Promise<RelayRow[]>;
  /** compare-and-set: applies `set` only while the relay is forwarding at position `from` */
  updateRelay(id: string, from: number, set: Partial<Pick<RelayRow, 'status' | 'reason' | 'position' | 'deadline_at'>>, now: number): Promise<boolean>;
  /** relays whose current attempt is due for a look (deadline passed), oldest first */
  dueRelays(now: number, limit: number): Promise<RelayRow[]>;
  /** inserts the attempt unless this relay already has one at that position */
  insertRelayAttempt(row: RelayAttemptRow): Promise<void>;
  updateRelayAttempt(relayId: string, position: number, set: Partial<Pick<RelayAttemptRow, 'message_id' | 'outcome' | 'detail' | 'finished_at'>>): Promise<void>;
  listRelayAttempts(relayIds: string[]): Promise<RelayAttemptRow[]>;
  countRelays(since: number, accountId?: string): Promise<{ status: RelayStatus; n: number }[]>;

  /** false when the participant already has an active, unexpired leg on that proxy */
  insertMaskLeg(row: MaskLegRow, now: number): Promise<boolean>;
  deleteMaskLegs(maskId: string): Promise<void>;
  insertMask(row: MaskRow): Promise<void>;
  /** proxies the participants hold in active, unexpired sessions */
  activeMaskLegs(participants: string[], now: number): Promise<MaskLegRow[]>;
  /** the active session in which `participant` texts `proxy` */
  findMask(proxy: string, participant: string, now: number): Promise<MaskRow | undefined>;
  getMask(accountId: string, id: string): Promise<MaskRow | undefined>;
  listMasks(f: { accountId: string; contextId?: string; before?: string; limit: number }): Promise<MaskRow[]>;
  /** ends a session (its legs are freed); false if it had already ended */
  endMask(accountId: string | null, id: string, reason: string, now: number): Promise<boolean>;
  /** ends every session past its expiry; returns how many */
  expireMasks(now: number): Promise<number>;
  countMaskMessage(id: string, fromA: boolean, now: number): Promise<void>;

  insertMessages(batch: NewMessage[]): Promise<InsertResult[]>;
  getMessage(accountId: string | null, id: string): Promise<MessageRow | undefined>;
  getMessages(ids: string[]): Promise<MessageRow[]>;
  listMessages(filter: MessageFilter): Promise<MessageRow[]>;
  listAttempts(messageId: string): Promise<AttemptRow[]>;
  /** the message's parts, in order (empty until it is sent) */
  listParts(messageId: string): Promise<MessagePartRow[]>;
  listEvents(messageId: string): Promise<EventRow[]>;
  /** cancels a queued or scheduled message; `announce` makes the caller's callback, written with the change */
  cancelMessage(accountId: string, id: string, now: number, announce: Announce): Promise<CancelResult>;

  claimDue(owner: string, now: number, leaseMs: number, limit: number): Promise<MessageRow[]>;
  /** Applies outcomes in one transaction; returns the ids whose lease was still held. */
  recordOutcomes(outcomes: Outcome[]): Promise<Set<string>>;
  /** Releases leases (graceful shutdown): the rows become due again at once. */
  releaseLeases(owner: string, ids: string[], now: number): Promise<void>;
  /** Earliest next_attempt_at among due-able rows, to sleep until then. */
  nextDueAt(): Promise<number | null>;
  queueStats(now: number, accountId?: string): Promise<QueueStats>;

  insertWebhooks(rows: WebhookRow[]): Promise<void>;
  claimWebhooks(now: number, leaseMs: number, limit: number): Promise<WebhookRow[]>;
  /** Applies receipts in one transaction; idempotent, so a webhook may be applied again. */
  applyReceipts(receipts: ReceiptWrite[], now: number, plan: ReceiptPlanner): Promise<ReceiptResult[]>;
  /** Marks webhooks processed (with an error, if any) and puts `deferred` back to wait until `until`. */
  finishWebhooks(done: { id: string; error: string | null }[], deferred: string[], until: number, now: number): Promise<void>;
  /** When the next unprocessed webhook can be claimed: its process_after, or its lease's end if later. */
  nextWebhookDueAt(): Promise<number | null>;
  listWebhooks(filter: { since?: number; providerId?: string }): Promise<WebhookRow[]>;
  /** Makes stored webhooks due again so they are processed once more (replay). */
  requeueWebhooks(ids: string[], now: number): Promise<void>;

  /** Stores inbound messages; one already stored (same provider and id) is left as it is. */
  insertInbound(rows: InboundRow[]): Promise<void>;
  listInbound(accountId: string, before: string | undefined, limit: number): Promise<InboundRow[]>;

  getApiKey(id: string): Promise<ApiKeyRow | undefined>;
  setApiKeyWebhookSecret(id: string, secret: string, now: number): Promise<void>;
  claimCallbacks(now: number, leaseMs: number, limit: number): Promise<CallbackRow[]>;
  finishCallback(id: string, set: Pick<CallbackRow, 'status' | 'attempts' | 'next_attempt_at' | 'last_error' | 'delivered_at'>, attempt: CallbackAttemptRow, now: number): Promise<void>;
  listCallbacks(messageId: string): Promise<CallbackRow[]>;
  listCallbackAttempts(callbackId: string): Promise<CallbackAttemptRow[]>;
}
