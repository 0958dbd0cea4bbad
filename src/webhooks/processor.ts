// Processes stored raw webhooks: parse with the provider's adapter, apply receipts
// forward-only, mark the rows done. A receipt can outrun our own record of the provider's
// message id (the provider answered, our write is still in flight), so a webhook whose
// receipts match no message yet is deferred with backoff before it is given up on.
import { inboundEvent } from '../public/events.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ConversationStore, EventOutbox, InboundPartRow, InboundRow, MessageLedger, ReceiptWrite, WebhookLog, WebhookRow } from '../store/store.ts';
import { conversationId } from '../domain/conversations.ts';

/** What this needs of the store. */
export type ProcessorStore = WebhookLog & Pick<ConversationStore, 'upsertConversation' | 'lastSentOnPair'> & Pick<EventOutbox, 'appendEvents'> & Pick<MessageLedger, 'listening'>;
import { newId } from '../domain/ids.ts';
import type { ProviderRegistry } from '../providers/registry.ts';
import type { MessageBus } from '../events/bus.ts';
import type { RawWebhook } from '../providers/provider.ts';
import { Wakeup } from '../loop/wakeup.ts';
import { Pace } from '../loop/pace.ts';
import { planReceipt } from '../receipts/plan.ts';
import { DEFAULT_ACCOUNT } from '../domain/actor.ts';

// Long enough for any batch to be applied; short enough that a batch held by a killed
// worker is taken up again soon (applying twice is harmless: receipts only move forward).
const LEASE_MS = 15_000;
const BATCH = 500;
/**
 * While the store's notifications arrive (PostgreSQL's LISTEN: webhooks stored by any
 * process wake the processor), an idle processor looks for due webhooks this many polls
 * apart instead of every poll: due times it knows (nextWebhookDueAt) still wake it on time,
 * and a replay by another process notifies too; the poll is left for a notification lost.
 */
const NOTIFIED_POLLS = 10;
/**
 * Raw webhooks are claimed at most once per this many batch windows (80 ms by default):
 * a receipt or inbound text applied 60 ms later changes nothing a caller sees, and with
 * several workers each window's claim used to go to another worker with a few rows, each
 * batch paying its transaction's round trips (measured, api + 4 workers on PostgreSQL:
 * the workers' CPU 381–398 → 348–361 µs per message; one worker unchanged).
 */
const WINDOWS = 4;
const MAX_UNMATCHED_TRIES = 16; // 50 ms doubling: about 55 minutes in all

export function toRaw(w: WebhookRow): RawWebhook {
  return { id: w.id, providerId: w.provider_id, kind: w.kind, url: w.url, headers: JSON.parse(w.headers), body: w.body, receivedAt: w.received_at };
}

export class WebhookProcessor {
  readonly #store: ProcessorStore;
  readonly #replyWindowMs: number;
  readonly #registry: ProviderRegistry;
  readonly #bus: MessageBus;
  readonly #log: Logger;
  readonly #pollMs: number;
  readonly #windowMs: number;
  readonly #wake = new Wakeup();
  readonly #pace: Pace;
  /** the last claim was paced and refused: another process's claim took the window */
  #refused = false;
  #running: Promise<void> | null = null;
  #stopping = false;

  /** called with newly parsed inbound messages once they are stored (opt-out keywords) */
  onInbound: (rows: InboundRow[]) => Promise<void> = async () => {};

  /** the account a business number belongs to (its number record), when it has one */
  readonly #accountOf: (number: string) => string | undefined;

  /**
   * `accountOf`: an inbound text belongs to the account of the number it was sent to, else
   * to its provider's account. `replyWindowMs`: how long after a message was sent a text on
   * its pair is taken as its reply (in_reply_to).
   */
  constructor(opts: { store: ProcessorStore; registry: ProviderRegistry; bus: MessageBus; logger: Logger; pollMs: number; batchWindowMs?: number; replyWindowMs?: number; accountOf?: (number: string) => string | undefined }) {
    this.#replyWindowMs = opts.replyWindowMs ?? 7 * 86_400_000;
    this.#accountOf = opts.accountOf ?? (() => undefined);
    this.#store = opts.store;
    this.#registry = opts.registry;
    this.#bus = opts.bus;
    this.#log = opts.logger;
    this.#pollMs = opts.pollMs;
    this.#windowMs = (opts.batchWindowMs ?? 0) * WINDOWS;
    this.#pace = new Pace(this.#windowMs);
  }

  start(): void {
    this.#running = this.#loop();
  }

  wakeAt(at: number): void { this.#wake.wakeAt(at); }
  /** Raw webhooks were stored (by another process: PostgreSQL's NOTIFY). */
  wake(): void { this.#wake.wake(); }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake.cancel();
    await this.#running;
  }

  async #loop(): Promise<void> {
    // Claims are paced (claimWebhooks: one per window among the processes sharing the store)
    // except right after a full batch, when more is probably due.
    let paced = false;
    while (!this.#stopping) {
      let n = 0;
      try { n = await this.runOnce(BATCH, paced ? this.#windowMs : 0); } catch (err) { this.#log.error({ err }, 'webhook processing failed'); }
      if (this.#stopping) break;
      // Another process's claim took this window: out of the next (loop/pace.ts).
      if (await this.#pace.afterClaim(this.#refused, this.#wake, () => this.#stopping)) continue;
      paced = this.#windowMs > 0 && n < BATCH;
      if (n >= BATCH) continue;
      // After a partial batch, let the next one gather (config.ts batchWindowMs).
      if (n > 0) { if (this.#windowMs > 0) await sleep(this.#windowMs); continue; }
      // Sleep until the next stored webhook is due (a provider may date it ahead), a new
      // one arrives, or the poll comes round.
      const next = await this.#store.nextWebhookDueAt().catch(() => null);
      const poll = this.#store.listening?.() ? this.#pollMs * NOTIFIED_POLLS : this.#pollMs;
      await this.#wake.wait(next === null ? poll : Math.max(paced ? this.#windowMs : 1, Math.min(poll, next - Date.now())));
    }
  }

  /**
   * Keeps one part of a long inbound text; once every part is here, the joined text (with
   * the first part's id) goes on like any inbound message. Parts may come in any order
   * and more than once; joining twice yields the same id, so the text is handled once.
   */
  async #joinParts(part: InboundPartRow, now: number): Promise<InboundRow | null> {
    const kept = await this.#store.addInboundPart(part);
    const total = part.total;
    if (kept.length < total || !kept.slice(0, total).every((p, k) => p.part === k + 1)) return null;
    const entry = this.#registry.get(part.provider_id);
    return {
      id: newId('inb'), account_id: this.#accountOf(part.to_number) ?? entry?.accountId ?? DEFAULT_ACCOUNT, provider_id: part.provider_id, provider_message_id: kept[0].provider_message_id,
      from_number: part.from_number, to_number: kept[0].to_number, body: kept.slice(0, total).map((p) => p.body).join(''),
      webhook_id: part.webhook_id, received_at: Math.max(...kept.map((p) => p.received_at)), created_at: now,
    };
  }

  /** Processes one batch of due webhooks; returns how many it took. */
  async runOnce(limit = BATCH, spacingMs = 0): Promise<number> {
    const now = Date.now();
    this.#refused = false;
    const rows = await this.#store.claimWebhooks(now, LEASE_MS, limit, spacingMs);
    this.#refused = rows.refused === true;
    if (rows.length === 0) return 0;
    const receipts: ReceiptWrite[] = [];
    const owner: number[] = [];
    const errors = new Map<string, string>();
    const inbound: InboundRow[] = [];
    const parts: InboundPartRow[] = [];
    rows.forEach((row, i) => {
      const entry = this.#registry.get(row.provider_id);
      if (!entry) { errors.set(row.id, `no provider ${row.provider_id}: replay this webhook once it exists again`); return; }
      if (row.kind === 'inbound') {
        try {
          for (const m of entry.adapter.parseInbound(toRaw(row))) {
            if (m.concat) {
              parts.push({
                provider_id: row.provider_id, from_number: m.from, concat_ref: m.concat.ref, part: m.concat.part, total: m.concat.total,
                provider_message_id: m.providerMessageId, to_number: m.to, body: m.body, webhook_id: row.id, received_at: m.receivedAt ?? row.received_at,
              });
              continue;
            }
            inbound.push({
              id: newId('inb'), account_id: this.#accountOf(m.to) ?? entry.accountId, provider_id: row.provider_id, provider_message_id: m.providerMessageId,
              from_number: m.from, to_number: m.to, body: m.body, webhook_id: row.id, received_at: m.receivedAt ?? row.received_at, created_at: now,
            });
          }
        } catch (err) {
          errors.set(row.id, `unparseable: ${(err as Error).message}`);
        }
        return;
      }
      try {
        for (const r of entry.adapter.parseReceipts(toRaw(row))) {
          receipts.push({
            webhookId: row.id, providerId: row.provider_id, providerMessageId: r.providerMessageId, status: r.status,
            providerStatus: r.providerStatus, errorCode: r.errorCode ?? null, errorMessage: r.errorMessage ?? null, providerErrorCode: r.providerErrorCode ?? null,
            occurredAt: r.occurredAt && Number.isFinite(r.occurredAt) ? r.occurredAt : row.received_at, detail: null,
          });
          owner.push(i);
        }
      } catch (err) {
        errors.set(row.id, `unparseable: ${(err as Error).message}`);
      }
    });
    for (const part of parts) {
      const joined = await this.#joinParts(part, now);
      if (joined) inbound.push(joined);
    }
    if (inbound.length > 0) {
      await this.#converse(inbound, now);
      // As stored: a replayed webhook's texts keep the ids they were given the first time.
      const stored = await this.#store.insertInbound(inbound);
      await this.#store.appendEvents(stored.map((m) => inboundEvent(m, now)));
      // Handlers are idempotent per inbound message (replies carry an idempotency key), so a replay is safe.
      await this.onInbound(stored).catch((err) => this.#log.error({ err }, 'inbound handling failed'));
    }
    const results = receipts.length > 0 ? await this.#store.applyReceipts(receipts, now, planReceipt) : [];
    const unmatched = new Set<number>();
    results.forEach((r, k) => {
      if (!r.message) unmatched.add(owner[k]);
      else if (r.changed) this.#bus.publish({ message: r.message, previous: r.previous });
    });
    const done: { id: string; error: string | null }[] = [];
    const deferred: WebhookRow[] = [];
    rows.forEach((row, i) => {
      if (errors.has(row.id)) done.push({ id: row.id, error: errors.get(row.id)! });
      else if (!unmatched.has(i)) done.push({ id: row.id, error: null });
      else if (row.attempts < MAX_UNMATCHED_TRIES) deferred.push(row);
      else done.push({ id: row.id, error: 'no message has this provider message id' });
    });
    const delay = deferred.length ? Math.min(600_000, 50 * 2 ** (Math.min(...deferred.map((d) => d.attempts)) - 1)) : 0;
    await this.#store.finishWebhooks(done, deferred.map((d) => d.id), now + delay, now);
    if (deferred.length) this.#wake.wakeAt(now + delay);
    for (const [id, error] of errors) this.#log.warn({ webhook: id, error }, 'webhook not applied');
    return rows.length;
  }

  /** Each text's conversation (its pair: the business number texted, the customer), and the message it answers. */
  async #converse(rows: InboundRow[], now: number): Promise<void> {
    for (const m of rows) {
      m.conversation_id = conversationId(m.account_id, m.to_number, m.from_number);
      m.in_reply_to = (await this.#store.lastSentOnPair(m.account_id, m.to_number, m.from_number, now - this.#replyWindowMs)) ?? null;
      await this.#store.upsertConversation({ id: m.conversation_id, account_id: m.account_id, business_number: m.to_number, customer_number: m.from_number, created_at: now });
    }
  }

}
