// Retention (SWITCHBOARD_RETENTION_DAYS; 0 keeps everything): messages that reached a
// final status longer ago than that, with all that was recorded about them, and raw
// webhooks processed longer ago than that are deleted in small batches, each its own
// short transaction, with a pause between batches so sends and intake go on; then the
// report rollups of minutes that old. With
// SWITCHBOARD_RETENTION_ARCHIVE, each message is first appended to that JSONL file
// (inside the deleting transaction: no row is deleted that was not archived).
import { appendFileSync } from 'node:fs';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { AuditLog, MessageLedger, ReportRollups, WebhookLog } from '../store/store.ts';
import { Periodic } from '../loop/periodic.ts';

const DAY_MS = 86_400_000;

export interface RetentionOptions {
  store: MessageLedger & WebhookLog & ReportRollups & Pick<AuditLog, 'purgeAudit'>;
  logger: Logger;
  days: number;
  everyMs: number;
  archivePath: string;
  batch?: number;
}

export class Retention {
  readonly #o: RetentionOptions;
  readonly #loop: Periodic;

  constructor(o: RetentionOptions) {
    this.#o = o;
    this.#loop = new Periodic(() => this.runOnce(), o.everyMs, o.logger, 'retention purge');
  }

  start(): void { if (this.#o.days > 0) this.#loop.start(); }
  stop(): Promise<void> { return this.#loop.stop(); }

  /** Purges everything past the window; answers what it deleted. */
  async runOnce(now = Date.now()): Promise<{ messages: number; webhooks: number; audit: number }> {
    const before = now - this.#o.days * DAY_MS;
    const batch = this.#o.batch ?? 500;
    const archive = this.#o.archivePath
      ? (rows: unknown[]) => appendFileSync(this.#o.archivePath, rows.map((r) => `${JSON.stringify(r)}\n`).join(''))
      : undefined;
    let messages = 0;
    let webhooks = 0;
    for (;;) {
      const n = await this.#o.store.purgeMessages(before, batch, archive);
      messages += n;
      if (n < batch || this.#loop.stopping) break;
      await yieldToLoop();
    }
    for (;;) {
      const n = await this.#o.store.purgeWebhooks(before, batch);
      webhooks += n;
      if (n < batch || this.#loop.stopping) break;
      await yieldToLoop();
    }
    // Report rollups go with the messages they count (a report of a purged range reads as empty, as before rollups).
    await this.#o.store.purgeRollups(before);
    // The audit log too, cut at a checkpoint the rest still verifies from (DESIGN.md §6).
    let audit = 0;
    for (;;) {
      const n = await this.#o.store.purgeAudit(before, batch);
      audit += n;
      if (n < batch || this.#loop.stopping) break;
    }
    if (messages + webhooks + audit > 0) this.#o.logger.info({ messages, webhooks, audit, days: this.#o.days }, 'retention purge');
    return { messages, webhooks, audit };
  }
}
