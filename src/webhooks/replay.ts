// Replay: stored raw webhooks are made due again and processed once more. Processing is
// idempotent (events are unique per webhook, status only moves forward, inbound messages
// are unique per provider id), so a replay reproduces the same state, or the corrected
// one after a parser fix.
import type { WebhookLog } from '../store/store.ts';
import type { WebhookProcessor } from './processor.ts';

/** What this needs of the store. */
export type ReplayStore = Pick<WebhookLog, 'listWebhooks' | 'requeueWebhooks'>;

export async function replayWebhooks(store: ReplayStore, processor: WebhookProcessor, filter: { since?: number; providerId?: string }): Promise<number> {
  const rows = await store.listWebhooks(filter);
  const now = Date.now();
  const due = rows.filter((r) => r.process_after <= now).map((r) => r.id);
  await store.requeueWebhooks(due, now);
  // Drain what is due now; a webhook whose receipt still matches nothing is deferred and
  // left to the running workers.
  while ((await processor.runOnce()) > 0) { /* next batch */ }
  return due.length;
}
