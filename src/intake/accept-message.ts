// POST /v1/messages as a story: validate → price → insert (group-committed, so the 202
// goes out only once the row is on disk) → wake the worker, or hand the message
// straight to this process's worker when it has room (HandOff).
import { acceptedEvent } from '../public/events.ts';
import { createHash } from 'node:crypto';
import { AppError } from '../domain/errors.ts';
import { parsePhone, isAlphanumericSender } from '../domain/phone.ts';
import { optOutRefuses, optedOutMessage, topicOf, type AccountSettings, type MessageCategory } from '../domain/consent.ts';
import { heldFor, sendWindowOf, timeZoneOf, zonesOf, type SendWindow } from '../domain/send-window.ts';

/** What intake reads of an account's settings (domain/consent.ts AccountSettings). */
export type IntakeSettings = Pick<AccountSettings, 'transactional_past_opt_out' | 'send_window' | 'send_window_transactional'> & Partial<Pick<AccountSettings, 'region'>>;
import { countSegments } from '../domain/encoding.ts';
import type { ConversationRow, ConversationStore, InsertResult, MessageLedger, MessageRow, NewMessage, OptOutRow, RecordStore, Store, TemplateRow } from '../store/store.ts';
import { InsertBatches } from './insert-batches.ts';
import { renderTemplateBody, variableProblems } from '../domain/templates.ts';
import { checkCallbackUrl } from '../callbacks/ssrf.ts';
import { laneOf } from '../domain/lanes.ts';

/** What this needs of the store. */
export type IntakeStore = Pick<MessageLedger, 'insertMessages'> & Pick<RecordStore, 'getTemplate' | 'listOptOuts'> & Pick<ConversationStore, 'getConversation'> & Pick<Store, 'regions'>;

export interface SendInput {
  /** required unless `conversation_id` gives it */
  to?: string;
  /** send on this conversation: to its customer, from its business number */
  conversation_id?: string;
  /** the text, or absent when a template gives it */
  body?: string;
  template?: string;
  variables?: Record<string, string>;
  /** set by POST /v1/calls: a text-to-speech call of the body */
  channel?: 'sms' | 'voice';
  voice?: string;
  language?: string;
  /** a call that ends busy, no-answer or failed is sent as an SMS */
  fallback_sms?: boolean;
  from?: string;
  country?: string;
  callback_url?: string;
  metadata?: Record<string, string>;
  send_at?: string;
  validity_period?: number;
  failover_after_seconds?: number;
  /** look the number up (line type, current network) before routing it */
  lookup?: boolean;
  /** its lane (domain/lanes.ts): urgent, normal (default) or bulk */
  priority?: string;
  /** transactional (default) or marketing (domain/consent.ts); marketing defaults to the bulk lane */
  category?: MessageCategory;
  /** the consent topic it falls under: opt-outs of that topic refuse it */
  topic?: string;
  /** quiet hours: the recipient's local hours it may be sent in (else the account's, for marketing) */
  send_window?: SendWindow;
  /** the recipient's time zone, instead of the one found from the number */
  tz?: string;
}

export interface Caller {
  accountId: string; keyId: string | null; callbackUrl?: string | null;
  /** false when callbacks of this caller's messages could not be signed (no signing secret): a callback_url is refused */
  signsCallbacks?: boolean;
  /** the lane of its messages that name none (its API key's default) */
  priority?: string | null;
}

export const MAX_BODY_CHARS = 1600;

/**
 * A worker in this process that takes accepted messages straight from intake (Worker
 * reserve/adopt/release): the row is stored already claimed under the lease it gives,
 * so no claim has to find it. Every lease given ends in `adopt` or `release`.
 */
export interface HandOff {
  reserve(): { owner: string; leaseMs: number } | null;
  adopt(row: MessageRow): void;
  release(): void;
}

const MAX_SCHEDULE_MS = 35 * 24 * 3600 * 1000;

/** What intake asks routing: is an explicit sender usable, and what will the send cost. */
export interface IntakeRouting {
  checkFrom(accountId: string, from: string, country: string | null, channel?: 'sms' | 'voice'): { code: 'unknown_sender' | 'sender_not_allowed'; message: string } | null;
  quote(accountId: string, country: string | null, from: string | null, segments: number, channel?: 'sms' | 'voice'): string | null;
}

export class Intake {
  readonly #batch: InsertBatches;
  readonly #routing: IntakeRouting;
  readonly #onAccepted: (m: MessageRow, handedOff: boolean) => void;
  #handOff: HandOff | null = null;

  readonly #checkCallback: (url: string) => void;

  readonly #store: IntakeStore;

  /** `batchesInFlight`: how many intake batches the store takes at once (openStore's `batchesInFlight`). */
  readonly #weight: (accountId: string) => number;
  readonly #settings: (accountId: string) => IntakeSettings;

  /** `weight`: an account's weight among the accounts of its lane (SWITCHBOARD_ACCOUNT_WEIGHTS). */
  constructor(store: IntakeStore, routing: IntakeRouting, onAccepted: (m: MessageRow, handedOff: boolean) => void, opts: { checkCallback?: (url: string) => void; batchesInFlight?: number; weight?: (accountId: string) => number; settings?: (accountId: string) => IntakeSettings } = {}) {
    this.#weight = opts.weight ?? (() => 1);
    this.#settings = opts.settings ?? (() => ({ transactional_past_opt_out: false, send_window: null, send_window_transactional: false }));
    this.#store = store;
    this.#batch = new InsertBatches(store, opts.batchesInFlight);
    this.#routing = routing;
    this.#onAccepted = onAccepted;
    this.#checkCallback = opts.checkCallback ?? checkCallbackUrl;
  }

  /**
   * The insert of a prepared row (`stored` as it is written, when handed off): its opt-out
   * check, its account's weight among its lane's flows, and its message.accepted event.
   */
  insertOf(row: MessageRow, idempotency: NewMessage['idempotency'], checkOptOut: boolean, stored = row, allOptOuts = false): NewMessage {
    return { row: stored, idempotency, checkOptOut, optOutTopicsOnly: !allOptOuts && this.#topicsOnly(row), weight: this.#weight(row.account_id), outbox: [acceptedEvent(row, row.created_at)] };
  }

  /** Tells the app messages were accepted outside accept() (a batch): counted, and the worker woken. */
  accepted(rows: readonly MessageRow[]): void {
    for (const m of rows) this.#onAccepted(m, false);
  }

  /** Messages due at once go straight to this worker while it has room (see HandOff). */
  handOffTo(worker: HandOff): void { this.#handOff = worker; }

  /**
   * Accepts a message; `created` is false when an Idempotency-Key matched an earlier one.
   * `allOptOuts`: every opt-out that covers it refuses it, whatever the account lets past.
   */
  async accept(input: SendInput, caller: Caller, idempotencyKey?: string, opts: { skipOptOut?: boolean; allOptOuts?: boolean } = {}): Promise<{ message: MessageRow; created: boolean }> {
    // The opt-out check runs in the insert's transaction: no opt-out can land in between.
    const row = await this.prepare(input, caller, idempotencyKey, { skipOptOut: true });
    const idempotency = idempotencyKey ? { key: idempotencyKey, hash: requestHash(input) } : null;
    // Handed off, the row is stored as the claim would leave it; the caller still sees it queued.
    const lease = row.status === 'queued' && this.#batch.worksOn(row.id) ? this.#handOff?.reserve() ?? null : null;
    const stored: MessageRow = lease
      ? { ...row, status: 'sending', lease_owner: lease.owner, next_attempt_at: row.created_at + lease.leaseMs, attempts: 1 }
      : row;
    let result: InsertResult;
    try {
      result = await this.#batch.submit(this.insertOf(row, idempotency, !opts.skipOptOut, stored, opts.allOptOuts));
    } catch (err) {
      if (lease) this.#handOff!.release();
      throw err;
    }
    if (lease) {
      if (result.kind === 'inserted') {
        this.#handOff!.adopt(stored);
        result = { kind: 'inserted', message: row };
      } else {
        this.#handOff!.release();
      }
    }
    if (result.kind === 'opted_out') throw new AppError('recipient_opted_out', optedOutMessage(result.optOut, row.to_number, row.from_number), { field: 'to' });
    if (result.kind === 'conflict') {
      throw new AppError('idempotency_conflict', `Idempotency-Key ${JSON.stringify(idempotencyKey)} was used with a different request`, { field: 'Idempotency-Key' });
    }
    if (result.kind === 'inserted') this.#onAccepted(result.message, lease !== null);
    return { message: result.message, created: result.kind === 'inserted' };
  }

  /**
   * Validates a send and builds its row, storing nothing (accept, and the dry-run
   * preview). With `verdicts`, an opted-out recipient is collected there instead of
   * thrown; everything else is refused as it would be at intake.
   */
  async prepare(input: SendInput, caller: Caller, idempotencyKey?: string, opts: { skipOptOut?: boolean; verdicts?: { code: string; message: string }[]; templates?: Map<string, TemplateRow | undefined> } = {}): Promise<MessageRow> {
    const now = Date.now();
    // A conversation gives the recipient and the sender: the customer's thread stays one thread.
    let conversation: ConversationRow | undefined;
    if (input.conversation_id !== undefined) {
      conversation = await this.#store.getConversation(caller.accountId, input.conversation_id);
      if (!conversation) throw new AppError('not_found', `no conversation ${input.conversation_id} in this account`, { field: 'conversation_id' });
      const given = input.to === undefined ? null : parsePhone(input.to, input.country);
      if (given?.ok && given.e164 !== conversation.customer_number) {
        throw new AppError('validation_error', `conversation ${conversation.id} is with ${conversation.customer_number}, not ${input.to}`, { field: 'to' });
      }
      if (input.from !== undefined && input.from !== conversation.business_number) {
        throw new AppError('validation_error', `conversation ${conversation.id} is from ${conversation.business_number}`, { field: 'from' });
      }
      input = { ...input, to: conversation.customer_number, from: conversation.business_number };
    }
    if (input.to === undefined) throw new AppError('validation_error', 'to is required (or conversation_id)', { field: 'to' });
    const to = parsePhone(input.to, input.country);
    if (!to.ok) throw new AppError('invalid_phone_number', to.reason, { field: 'to' });
    let from: string | null = null;
    if (input.from !== undefined) {
      const f = parsePhone(input.from, input.country);
      if (f.ok) from = f.e164;
      else if (isAlphanumericSender(input.from)) from = input.from;
      else throw new AppError('invalid_sender', `${input.from} is neither an E.164 number nor an alphanumeric sender id (3–11 letters/digits)`, { field: 'from' });
    }
    // A template gives the body: its latest version, every declared variable filled.
    let template: TemplateRow | undefined;
    if (input.template !== undefined) {
      if (input.body !== undefined) throw new AppError('validation_error', 'give either body or template, not both', { field: 'body' });
      // `templates`: many sends prepared together (a batch) read each template once.
      template = opts.templates?.has(input.template) ? opts.templates.get(input.template) : await this.#store.getTemplate(caller.accountId, input.template);
      opts.templates?.set(input.template, template);
      if (!template) throw new AppError('unknown_template', `no template ${JSON.stringify(input.template)} in this account (GET /v1/templates)`, { field: 'template' });
      const { missing, extra } = variableProblems(JSON.parse(template.variables) as string[], input.variables ?? {});
      if (missing.length || extra.length) {
        throw new AppError('template_variables', [missing.length ? `missing: ${missing.join(', ')}` : '', extra.length ? `not in the template: ${extra.join(', ')}` : ''].filter(Boolean).join('; '), { field: 'variables' });
      }
      input = { ...input, body: renderTemplateBody(template.body, input.variables ?? {}) };
    } else if (input.variables !== undefined) {
      throw new AppError('validation_error', 'variables need a template', { field: 'variables' });
    }
    if (input.body === undefined) throw new AppError('validation_error', 'body (or template) is required', { field: 'body' });
    const text = input.body;
    if (text.length === 0) throw new AppError('body_empty', 'body is empty', { field: 'body' });
    // A lone surrogate is no character at all: neither GSM-7 nor UCS-2 can carry it.
    if (!text.isWellFormed()) throw new AppError('invalid_body', 'body holds a lone UTF-16 surrogate, which no SMS encoding can carry', { field: 'body' });
    const chars = [...text].length;
    if (chars > MAX_BODY_CHARS) throw new AppError('body_too_long', `body has ${chars} characters; the limit is ${MAX_BODY_CHARS}`, { field: 'body' });
    let sendAt: number | null = null;
    if (input.send_at !== undefined) {
      const t = Date.parse(input.send_at);
      if (Number.isNaN(t)) throw new AppError('invalid_send_at', `send_at ${JSON.stringify(input.send_at)} is not an ISO-8601 time`, { field: 'send_at' });
      if (t - now > MAX_SCHEDULE_MS) throw new AppError('invalid_send_at', 'send_at is more than 35 days ahead', { field: 'send_at' });
      if (t > now) sendAt = t;
    }
    if (input.callback_url !== undefined) this.#checkCallback(input.callback_url);
    if ((input.callback_url ?? caller.callbackUrl) && caller.signsCallbacks === false) {
      throw new AppError('callback_not_signable', 'callbacks of this key cannot be signed: it has no signing secret (for the bootstrap key, set SWITCHBOARD_WEBHOOK_SECRET)', { field: 'callback_url' });
    }
    // The message's own priority, else its template's, else its key's; bulk for marketing, normal otherwise.
    const category = input.category ?? 'transactional';
    const topic = topicOf(input.topic);
    const lane = laneOf(input.priority ?? template?.priority ?? caller.priority ?? (category === 'marketing' ? 'bulk' : undefined));
    const channel = input.channel ?? 'sms';
    // A call is one "segment" whatever its length: it is priced per call.
    const seg = channel === 'voice' ? { ...countSegments(text), segments: 1 } : countSegments(text);
    const country = to.country ?? null;
    if (from !== null) {
      const refused = this.#routing.checkFrom(caller.accountId, from, country, channel);
      if (refused) throw new AppError(refused.code, refused.message, { field: 'from' });
    }
    // Opt-outs (domain/consent.ts optOutRefuses): by sender, by topic, and for a
    // transactional message of an account that lets those past, only its topic's.
    if (!opts.skipOptOut) {
      const topicsOnly = this.#topicsOnly({ account_id: caller.accountId, category });
      const out = (await this.#store.listOptOuts(caller.accountId, to.e164)).find((o) => optOutRefuses(o, { from, topic: topic || null }, topicsOnly));
      if (out) {
        const message = optedOutMessage(out, to.e164, from);
        if (opts.verdicts) opts.verdicts.push({ code: 'recipient_opted_out', message });
        else throw new AppError('recipient_opted_out', message, { field: 'to' });
      }
    }
    // Quiet hours: the message's own window, else the account's (for marketing, and for
    // transactional messages when the account says so); outside it, held until it opens.
    const settings = this.#settings(caller.accountId);
    const window = input.send_window !== undefined ? sendWindowOf(input.send_window)
      : settings.send_window && (category === 'marketing' || settings.send_window_transactional) ? settings.send_window : null;
    const zones = window ? (input.tz !== undefined ? [timeZoneOf(input.tz)] : zonesOf(to.e164)) : [];
    const held = window ? heldFor(window, zones, sendAt ?? now) : null;
    if (held) sendAt = held.at;
    const start = sendAt ?? now;
    const row: MessageRow = {
      id: this.#batch.messageId(settings.region, to.e164), account_id: caller.accountId, api_key_id: caller.keyId, to_number: to.e164, from_number: from,
      requested_from: from, country, body: text, encoding: seg.encoding, segments: seg.segments,
      price: this.#routing.quote(caller.accountId, country, from, seg.segments, channel), currency: 'USD', status: sendAt ? 'scheduled' : 'queued',
      provider_id: null, provider_message_id: null, callback_url: input.callback_url ?? caller.callbackUrl ?? null,
      metadata: input.metadata ? JSON.stringify(input.metadata) : null, idempotency_key: idempotencyKey ?? null,
      send_at: sendAt, expires_at: input.validity_period ? start + input.validity_period * 1000 : null,
      attempts: 0, throttled_attempts: 0, next_attempt_at: start, lease_owner: null, error_code: null, error_message: null, provider_error_code: null,
      created_at: now, updated_at: now, sent_at: null, final_at: null, lane,
      ...(conversation ? { conversation_id: conversation.id } : {}),
      ...(input.failover_after_seconds ? { failover_after_ms: input.failover_after_seconds * 1000 } : {}),
      ...(input.lookup ? { lookup: 1 } : {}),
      ...(category === 'marketing' ? { category } : {}),
      ...(topic ? { topic } : {}),
      ...(held ? { error_code: 'quiet_hours', error_message: held.why } : {}),
      ...(window && zones.length > 0 ? { send_window: JSON.stringify({ ...window, zones }) } : {}),
      ...(template ? { template_id: template.id, template_version: template.version } : {}),
      ...(channel === 'voice' ? {
        channel, voice_options: JSON.stringify({ ...(input.voice ? { voice: input.voice } : {}), ...(input.language ? { language: input.language } : {}), ...(input.fallback_sms ? { fallback_sms: true } : {}) }),
      } : {}),
    };
    return row;
  }

  drain(): Promise<void> { return this.#batch.drain(); }

  /** Whether only topic opt-outs apply: a transactional message of an account that lets those past the rest. */
  #topicsOnly(m: { account_id: string; category?: string | null }): boolean {
    return m.category !== 'marketing' && this.#settings(m.account_id).transactional_past_opt_out;
  }
}


function requestHash(input: SendInput): string {
  const canonical = JSON.stringify(input, Object.keys(input).sort());
  return createHash('sha256').update(canonical).update(JSON.stringify(input.metadata ?? null)).digest('hex');
}
