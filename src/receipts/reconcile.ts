// Receipt reconciliation: a provider's receipt can be lost (our server was down when the
// provider called, and the provider does not call again), which would leave a message
// `sent` for ever. Parts still `sent` SWITCHBOARD_RECONCILE_AFTER_MS after they were sent
// are looked up with the adapter's fetchStatus, in small batches per provider (only
// providers with a status API offer it), and the answer goes through the same
// forward-only receipt path as a webhook, kept as an event marked "fetched". Each part is
// asked about at most once per interval, so a provider's rate limits are respected.
import type { Logger } from 'pino';
import type { MessageLedger, ReceiptWrite, WebhookLog } from '../store/store.ts';
import type { ProviderRegistry } from '../providers/registry.ts';
import type { MessageBus } from '../events/bus.ts';
import { planReceipt } from './plan.ts';
import { Periodic } from '../loop/periodic.ts';

/** What this needs of the store. */
export type ReconcileStore = Pick<MessageLedger, 'partsToReconcile' | 'unsettledParts' | 'markReconciled'> & Pick<WebhookLog, 'applyReceipts'>;

export interface ReconcilerOptions {
  store: ReconcileStore;
  registry: ProviderRegistry;
  bus: MessageBus;
  logger: Logger;
  afterMs: number;
  everyMs: number;
  /** a part with no final status this long after it was sent ends `expired` (no_receipt) */
  deadlineMs: number;
  batch: number;
  timeoutMs: number;
  /** counts receipts found this way, per provider */
  onReconciled?: (providerId: string, n: number) => void;
}

export class Reconciler {
  readonly #o: ReconcilerOptions;
  readonly #loop: Periodic;

  constructor(o: ReconcilerOptions) {
    this.#o = o;
    this.#loop = new Periodic(() => this.runOnce(), o.everyMs, o.logger, 'receipt reconciliation');
  }

  start(): void { this.#loop.start(); }
  stop(): Promise<void> { return this.#loop.stop(); }

  /** One round over every provider that can be asked, active or deactivated; returns how many receipts it found. */
  async runOnce(now = Date.now()): Promise<number> {
    let found = 0;
    for (const entry of this.#o.registry.all()) {
      const lookup = entry.capabilities.status;
      if (!lookup) continue;
      const due = await this.#o.store.partsToReconcile(entry.id, now - this.#o.afterMs, now - this.#o.afterMs, this.#o.batch);
      if (due.length === 0) continue;
      // Claimed before asking: a worker in another process asks about the others.
      const parts = await this.#o.store.markReconciled(due, now, now - this.#o.afterMs);
      if (parts.length === 0) continue;
      let receipts;
      try {
        receipts = await lookup.fetchStatus(parts.map((p) => p.provider_message_id), AbortSignal.timeout(this.#o.timeoutMs));
      } catch (err) {
        this.#o.logger.warn({ err, provider: entry.id }, 'provider status lookup failed; these parts are asked about again after SWITCHBOARD_RECONCILE_AFTER_MS');
        continue;
      }
      const writes: ReceiptWrite[] = receipts.map((r) => ({
        // One event per part and fetched status: asking again finds the same "webhook".
        webhookId: `fetched:${entry.id}:${r.providerMessageId}`, providerId: entry.id, providerMessageId: r.providerMessageId, status: r.status,
        providerStatus: r.providerStatus, errorCode: r.errorCode ?? null, errorMessage: r.errorMessage ?? null, providerErrorCode: r.providerErrorCode ?? null,
        occurredAt: r.occurredAt && Number.isFinite(r.occurredAt) ? r.occurredAt : now, detail: 'fetched',
      }));
      if (writes.length === 0) continue;
      const results = await this.#o.store.applyReceipts(writes, now, planReceipt);
      results.forEach((r) => { if (r.changed && r.message) this.#o.bus.publish({ message: r.message, previous: r.previous }); });
      const moved = results.filter((r) => r.changed).length;
      found += moved;
      if (moved > 0) {
        this.#o.onReconciled?.(entry.id, moved);
        this.#o.logger.info({ provider: entry.id, asked: parts.length, moved }, 'receipts reconciled');
      }
    }
    return found + (await this.#expireStale(now));
  }

  /**
   * The receipt deadline: a part still `sent` long after it was sent (no report came, and
   * its provider could not say) ends `expired` with `no_receipt`, through the same receipt
   * path, so the message is final, announced and counted like any other.
   */
  async #expireStale(now: number): Promise<number> {
    const parts = await this.#o.store.unsettledParts(now - this.#o.deadlineMs, this.#o.batch);
    if (parts.length === 0) return 0;
    const writes: ReceiptWrite[] = parts.map((p) => ({
      webhookId: `deadline:${p.message_id}:${p.part_index}`, providerId: p.provider_id, providerMessageId: p.provider_message_id, status: 'expired',
      providerStatus: 'no_receipt', errorCode: 'no_receipt', errorMessage: `no delivery report within ${Math.round(this.#o.deadlineMs / 3_600_000)} h`,
      providerErrorCode: null, occurredAt: now, detail: 'receipt deadline',
    }));
    const results = await this.#o.store.applyReceipts(writes, now, planReceipt);
    results.forEach((r) => { if (r.changed && r.message) this.#o.bus.publish({ message: r.message, previous: r.previous }); });
    const moved = results.filter((r) => r.changed).length;
    if (moved > 0) this.#o.logger.warn({ parts: parts.length, messages: moved }, 'messages expired without a final receipt');
    return moved;
  }
}
