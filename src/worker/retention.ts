// Retention (SWITCHBOARD_RETENTION_DAYS; 0 keeps everything): messages that reached a
// final status longer ago than that, with all that was recorded about them, and raw
// webhooks processed longer ago than that are deleted in small batches, each its own
// short transaction, with a pause between batches so sends and intake go on. With
// SWITCHBOARD_RETENTION_ARCHIVE, each message is first appended to that JSONL file
// (inside the deleting transaction: no row is deleted that was not archived).
import { appendFileSync } from 'node:fs';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { MessageLedger, WebhookLog } from '../store/store.ts';
import { Wakeup } from './wakeup.ts';

const DAY_MS = 86_400_000;

export interface RetentionOptions {
  store: MessageLedger & WebhookLog;
  logger: Logger;
  days: number;
  everyMs: number;
  archivePath: string;
  batch?: number;
}

export class Retention {
  readonly #o: RetentionOptions;
  readonly #wake = new Wakeup();
  #running: Promise<void> | null = null;
  #stopping = false;

  constructor(o: RetentionOptions) { this.#o = o; }

  start(): void { if (this.#o.days > 0) this.#running = this.#loop(); }
  async stop(): Promise<void> { this.#stopping = true; this.#wake.cancel(); await this.#running; }

  async #loop(): Promise<void> {
    while (!this.#stopping) {
      try { await this.runOnce(); } catch (err) { this.#o.logger.error({ err }, 'retention purge failed'); }
      if (!this.#stopping) await this.#wake.wait(this.#o.everyMs);
    }
  }

  /** Purges everything past the window; answers what it deleted. */
  async runOnce(now = Date.now()): Promise<{ messages: number; webhooks: number }> {
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
      if (n < batch || this.#stopping) break;
      await yieldToLoop();
    }
    for (;;) {
      const n = await this.#o.store.purgeWebhooks(before, batch);
      webhooks += n;
      if (n < batch || this.#stopping) break;
      await yieldToLoop();
    }
    if (messages + webhooks > 0) this.#o.logger.info({ messages, webhooks, days: this.#o.days }, 'retention purge');
    return { messages, webhooks };
  }
}
