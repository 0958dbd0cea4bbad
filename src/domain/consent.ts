// The consent ledger (issue 29). Terms:
// - record: one opt-out, opt-in or confirmation request, never changed or removed: what
//   changed, its scope, its source (a keyword text, the API, the dashboard, the CLI,
//   apply, an import, a double opt-in confirmation, or the migration of opt-outs kept
//   before the ledger), who made it and when; a keyword's record holds the inbound
//   text's id and words.
// - scope: `account` (every message of the account to that number), `sender` (messages
//   from one business number or sender id), or `topic` (messages naming that topic, such
//   as `marketing`).
// - opt-out: the state the records leave, one row per recipient and scope (store
//   opt_outs), which intake checks inside the insert's transaction. An opt-in of a scope
//   removes that scope's opt-outs; an account-wide opt-in removes them all.
// - category: a message is `transactional` (default) or `marketing`. An account may let
//   transactional messages past opt-outs that name no topic (its setting
//   `transactional_past_opt_out`); a topic's opt-out still refuses that topic.
// - double opt-in: a confirmation request (a text asking the recipient to reply with a
//   START keyword, such as YES) is a record too; a START from them within
//   CONFIRMATION_WINDOW_MS opts them in of the request's scope, source `confirmation`.
// - settings: per account; `opt_out_scope` says what a STOP keyword opts out of (the
//   whole account, or the number that was texted), defaulting to SWITCHBOARD_OPT_OUT_SCOPE.
import { AppError } from './errors.ts';
import type { SendWindow } from './send-window.ts';

export type ConsentAction = 'opt_out' | 'opt_in' | 'confirm_request';
export type ConsentScope = 'account' | 'sender' | 'topic';
export const CONSENT_SOURCES = ['keyword', 'api', 'dashboard', 'cli', 'apply', 'import', 'confirmation', 'migration'] as const;
export type ConsentSource = (typeof CONSENT_SOURCES)[number];
export type MessageCategory = 'transactional' | 'marketing';

/** Sources that are a person changing the list (audited as configuration); the others are the recipient's own act. */
export const CHANGED_BY_STAFF: ReadonlySet<ConsentSource> = new Set(['api', 'dashboard', 'cli', 'apply', 'import']);

export interface ConsentRecordRow {
  id: string;
  account_id: string;
  number: string;
  action: ConsentAction;
  scope: ConsentScope;
  /** the business number or sender id of a `sender` scope; '' otherwise */
  sender: string;
  /** the topic of a `topic` scope; '' otherwise */
  topic: string;
  source: ConsentSource;
  /** the inbound text behind a keyword or confirmation record */
  inbound_id: string | null;
  inbound_text: string | null;
  /** the message a confirmation request sent */
  message_id?: string | null;
  actor_kind: string;
  actor_id: string | null;
  actor_name: string | null;
  created_at: number;
}

/** How long a confirmation request waits for its reply. */
export const CONFIRMATION_WINDOW_MS = 24 * 3_600_000;

/**
 * The confirmation request a START keyword answers: the latest request within the window,
 * unless a later opt-in or opt-out settled it. `history` is oldest first.
 */
export function pendingConfirmation(history: readonly ConsentRecordRow[], now: number): ConsentRecordRow | undefined {
  const last = history.at(-1);
  return last?.action === 'confirm_request' && now - Number(last.created_at) <= CONFIRMATION_WINDOW_MS ? last : undefined;
}
/** A record's scope and what it names. */
export type NewConsentScope = Pick<ConsentRecordRow, 'scope' | 'sender' | 'topic'>;

/** A recipient's opt-out of one scope: sender '' = any sender, topic '' = any topic. */
export interface OptOutScopeKey { sender: string; topic: string }

export function scopeOf(k: OptOutScopeKey): ConsentScope {
  return k.topic !== '' ? 'topic' : k.sender !== '' ? 'sender' : 'account';
}

/**
 * Whether an opt-out refuses a message. Sender: an opt-out of any sender ('') refuses every
 * send, one of a business number refuses sends from it, and a send whose number routing
 * will choose (`from` null) is refused by any. Topic: one naming a topic refuses messages
 * of that topic; one naming none refuses every message, unless `topicsOnly` (a
 * transactional message of an account that lets those past). The SQLite store states the
 * same rule in SQL, inside its insert.
 */
export function optOutRefuses(o: OptOutScopeKey, m: { from: string | null; topic: string | null }, topicsOnly = false): boolean {
  const sender = o.sender === '' || m.from === null || o.sender === m.from;
  const topic = o.topic === '' ? !topicsOnly : o.topic === m.topic;
  return sender && topic;
}

/** Why a message was refused, in words for its 422. */
export function optedOutMessage(o: OptOutScopeKey, to: string, from: string | null): string {
  const what = o.topic !== '' ? `messages about ${o.topic}` : 'messages';
  return o.sender === ''
    ? `${to} has opted out of this account's ${what}`
    : `${to} has opted out of ${what} from ${o.sender}${from === null ? '; send from another of your numbers with `from`' : ''}`;
}

/** A topic name: lower-case letters, digits, `_` and `-`, up to 40. */
export function topicOf(value: string | null | undefined, field = 'topic'): string {
  if (value === undefined || value === null || value === '') return '';
  if (!/^[a-z0-9][a-z0-9_-]{0,39}$/.test(value)) throw new AppError('validation_error', `${field} must be 1–40 lower-case letters, digits, _ or - (like marketing)`, { field });
  return value;
}

export interface AccountSettings {
  /** what a STOP opts out of: the whole account, or the number that was texted */
  opt_out_scope: 'account' | 'number';
  /** transactional messages go past opt-outs that name no topic */
  transactional_past_opt_out: boolean;
  /** quiet hours: the recipient's local hours marketing messages may be sent in (domain/send-window.ts); null: any */
  send_window: SendWindow | null;
  /** whether transactional messages keep to the send window too (by default they are exempt) */
  send_window_transactional: boolean;
  /** data residency: the region its messages are stored in (domain/regions.ts); null: the recipient's country decides */
  region: string | null;
}

/** An account's settings: what it stored (JSON), over the server's defaults. */
export function accountSettings(stored: string | null | undefined, defaults: { optOutScope: string }): AccountSettings {
  const s = stored ? JSON.parse(stored) as Partial<AccountSettings> : {};
  return {
    opt_out_scope: s.opt_out_scope ?? (defaults.optOutScope === 'number' ? 'number' : 'account'),
    transactional_past_opt_out: s.transactional_past_opt_out ?? false,
    send_window: s.send_window ?? null,
    send_window_transactional: s.send_window_transactional ?? false,
    region: s.region ?? null,
  };
}

/** A consent record as the API and the proof file show it. */
export function presentConsent(r: ConsentRecordRow) {
  return {
    id: r.id, number: r.number, action: r.action, scope: r.scope, sender: r.sender === '' ? null : r.sender, topic: r.topic === '' ? null : r.topic,
    source: r.source, inbound_id: r.inbound_id, inbound_text: r.inbound_text, message_id: r.message_id ?? null,
    actor: { kind: r.actor_kind, id: r.actor_id, name: r.actor_name }, created_at: new Date(Number(r.created_at)).toISOString(),
  };
}
