// Receipts for SMPP clients: callback rows of type smpp.receipt, written with the final
// status (callbacks/enqueue.ts), claimed here for the system_ids with a receiver bound to
// this process, leased while their deliver_sm wait for deliver_sm_resp (RECEIPT_ANSWER_MS
// at most), retried with backoff after an error answer or a dropped link, and marked
// failed when no receiver took them within the TTL.
import type { Logger } from 'pino';
import type { PDU, Session } from 'smpp';
import type { CallbackAttemptRow, CallbackFinish, CallbackQueue, CallbackRow, MessageLedger, MessageRow } from '../store/store.ts';
import { addressOf, receiptErr, receiptText, smppMessageId, SMPP_STATE } from '../domain/smpp.ts';
import { isFinal } from '../domain/status.ts';
import { newId } from '../domain/ids.ts';
import { backoffMs } from '../loop/backoff.ts';

const RECEIPT_LEASE_MS = 30_000;
const RECEIPT_ANSWER_MS = 10_000;
const RECEIPT_BACKOFF_BASE_MS = 1_000;
const RECEIPT_BACKOFF_MAX_MS = 60_000;

/** A bound client session, as the queue sees it. */
export interface Receiver { systemId: string; receive: boolean; session: Session }

export interface ReceiptQueueDeps {
  store: Pick<CallbackQueue, 'claimCallbacks' | 'finishCallbacks'> & Pick<MessageLedger, 'getMessages' | 'listParts'>;
  logger: Logger;
  /** how long a receipt waits for a receiver before it is marked failed */
  ttlMs: number;
  /** the sessions bound to this process now */
  receivers: () => Iterable<Receiver>;
}

/**
 * The status a client's part has: the provider's part of the same number where the text
 * went out in as many parts as the client sent (each has its own receipt), otherwise the
 * message's, which is final only when every part is.
 */
export function partStatus(message: MessageRow, part: number | undefined, parts: readonly { status: string; updated_at: number; provider_error_code: string | null }[]): { status: string; finalAt: number | null; errorCode: string | null } {
  const own = part !== undefined && isFinal(message.status) ? parts[part - 1] : undefined;
  if (own && SMPP_STATE[own.status]) return { status: own.status, finalAt: own.updated_at, errorCode: own.provider_error_code };
  return { status: message.status, finalAt: message.final_at, errorCode: message.provider_error_code };
}

export class ReceiptQueue {
  readonly #o: ReceiptQueueDeps;
  /** a run is under way (`again`: one more was asked for meanwhile) */
  #receipting: Promise<void> | null = null;
  #again = false;
  #expiredAt = 0;

  constructor(o: ReceiptQueueDeps) { this.#o = o; }

  /** Waits for the run under way. */
  async stop(): Promise<void> { await this.#receipting; }

  /** Runs the queue now (a final status here, a receiver bound); one run at a time, another after it if asked meanwhile. */
  now(): void {
    if (this.#receipting) { this.#again = true; return; }
    this.#receipting = this.#receiptRun().catch((err) => this.#o.logger.warn({ err }, 'SMPP receipts run failed')).finally(() => {
      this.#receipting = null;
      if (this.#again) { this.#again = false; this.now(); }
    });
  }

  async #receiptRun(): Promise<void> {
    const store = this.#o.store;
    const now = Date.now();
    // Receipts no receiver of their system_id took in time end `failed` (looked for once a minute).
    const ttlMs = this.#o.ttlMs;
    const expire = now - this.#expiredAt >= 60_000;
    if (expire) this.#expiredAt = now;
    const expired = expire ? await store.claimCallbacks(now, RECEIPT_LEASE_MS, 1000, { via: 'smpp', createdBefore: now - ttlMs }) : [];
    await store.finishCallbacks(expired.map((cb) => {
      const error = `expired: no receiver bound as ${cb.url.slice(5)} took it within ${ttlMs / 1000} s`;
      return { id: cb.id, set: { status: 'failed', attempts: cb.attempts, next_attempt_at: null, last_error: error, delivered_at: null }, attempt: { id: newId('cbk'), callback_id: cb.id, attempt: cb.attempts + 1, status_code: null, error, started_at: now, duration_ms: 0 } };
    }), now);
    const bound = new Set([...this.#o.receivers()].filter((b) => b.receive).map((b) => `smpp:${b.systemId}`));
    while (bound.size > 0) {
      const rows = await store.claimCallbacks(Date.now(), RECEIPT_LEASE_MS, 200, { via: 'smpp', urls: [...bound] });
      if (rows.length === 0) return;
      const messages = new Map((await store.getMessages([...new Set(rows.map((r) => r.message_id))])).map((m) => [m.id, m]));
      const done = await Promise.all(rows.map((cb) => this.#deliverReceipt(cb, messages.get(cb.message_id))));
      await store.finishCallbacks(done, Date.now());
      if (rows.length < 200) return;
    }
  }

  /** Sends one message's receipts (a deliver_sm per part that asked); its outcome: delivered once every one was answered ESME_ROK, else retried later. */
  async #deliverReceipt(cb: CallbackRow, message: MessageRow | undefined): Promise<{ id: string; set: CallbackFinish; attempt: CallbackAttemptRow }> {
    const started = Date.now();
    let error: string | null = null;
    try {
      const receiver = [...this.#o.receivers()].find((b) => b.receive && `smpp:${b.systemId}` === cb.url);
      const payload = JSON.parse(cb.payload) as { parts: number[]; dest: string };
      if (!receiver) error = 'no receiver bound';
      else if (!message) error = 'message not found';
      else {
        const answers = await Promise.all((await this.#receiptPdus(message, payload)).map((pdu) => this.#deliver(receiver, pdu)));
        error = answers.find((a) => a !== null) ?? null;
      }
    } catch (err) {
      error = (err as Error).message || String(err);
    }
    const now = Date.now();
    const attemptNo = cb.attempts + 1;
    const attempt = { id: newId('cbk'), callback_id: cb.id, attempt: attemptNo, status_code: null, error, started_at: started, duration_ms: now - started };
    if (error === null) return { id: cb.id, set: { status: 'delivered', attempts: attemptNo, next_attempt_at: null, last_error: null, delivered_at: now }, attempt };
    this.#o.logger.warn({ callback: cb.id, message: cb.message_id, attempt: attemptNo, error }, 'SMPP receipt not taken; will retry');
    const next = now + backoffMs(attemptNo, RECEIPT_BACKOFF_BASE_MS, RECEIPT_BACKOFF_MAX_MS);
    return { id: cb.id, set: { status: 'pending', attempts: attemptNo, next_attempt_at: next, last_error: error, delivered_at: null }, attempt };
  }

  /** One deliver_sm; answers null once the client acknowledged it, else why not. */
  #deliver(receiver: Receiver, params: Record<string, unknown>): Promise<string | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(`no deliver_sm_resp within ${RECEIPT_ANSWER_MS} ms`), RECEIPT_ANSWER_MS);
      const sent = receiver.session.deliver_sm(params, (resp: PDU) => {
        clearTimeout(timer);
        resolve(resp.command_status === 0 ? null : `deliver_sm_resp command_status 0x${Number(resp.command_status).toString(16).padStart(8, '0')}`);
      });
      if (sent === false) { clearTimeout(timer); resolve('the receiver\'s link is down'); }
    });
  }

  /** The receipts of a final message: one per part that asked, each with that part's id and status. */
  async #receiptPdus(message: MessageRow, payload: { parts: number[]; dest: string }): Promise<Record<string, unknown>[]> {
    const parts = payload.parts.map((p) => (p > 0 ? p : undefined));
    const providerParts = parts.some((p) => p !== undefined) ? await this.#o.store.listParts(message.id) : [];
    const src = addressOf(message.to_number);
    const dst = addressOf(payload.dest);
    return parts.map((part) => {
      // A part's own status where the provider sent the text in as many parts as the client did.
      const own = partStatus(message, part, providerParts.length === parts.length ? providerParts : []);
      const { stat, state } = SMPP_STATE[own.status] ?? { stat: 'UNKNOWN', state: 7 };
      const err = receiptErr(stat, own.errorCode);
      // The text is made of characters GSM 03.38 and ASCII share (receiptText), so `id:` reads
      // the same however the client decodes data_coding 0, and equals receipted_message_id.
      const id = smppMessageId(message.id, part);
      const text = receiptText({ id, stat, err, submitted: message.created_at, done: own.finalAt ?? Date.now(), text: message.body });
      return {
        source_addr_ton: src.ton, source_addr_npi: src.npi, source_addr: src.addr, dest_addr_ton: dst.ton, dest_addr_npi: dst.npi, destination_addr: dst.addr,
        esm_class: 0x04, data_coding: 0, short_message: Buffer.from(text, 'ascii'), receipted_message_id: id, message_state: state,
      };
    });
  }
}
