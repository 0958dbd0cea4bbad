// Raw first: every provider webhook is written verbatim (the headers that matter and the
// body) before anything parses it. Writes are group-committed; the processor is woken
// once the row is durable (or at the time a provider asked it to be processed).
import type { WebhookLog, WebhookRow } from '../store/store.ts';
import { GroupCommit } from '../store/group-commit.ts';
import { newId } from '../domain/ids.ts';

/** What this needs of the store. */
export type IngestStore = Pick<WebhookLog, 'insertWebhooks'>;

export interface IncomingWebhook {
  providerId: string;
  kind: 'status' | 'inbound';
  url: string;
  headers: Record<string, string>;
  body: string;
  processAfter?: number;
}

export class WebhookIngest {
  readonly #batch: GroupCommit<WebhookRow, void>;
  readonly #onStored: (processAfter: number) => void;

  /** `windowMs`: how long a batch of raw webhooks gathers before it is stored (GroupCommit). */
  constructor(store: IngestStore, onStored: (processAfter: number) => void, batchesInFlight = 1, windowMs = 0) {
    this.#batch = new GroupCommit<WebhookRow, void>(async (rows) => { await store.insertWebhooks(rows); return rows.map(() => undefined); }, 500, batchesInFlight, windowMs);
    this.#onStored = onStored;
  }

  async ingest(w: IncomingWebhook): Promise<string> {
    const now = Date.now();
    const row: WebhookRow = {
      id: newId('whk'), provider_id: w.providerId, kind: w.kind, url: w.url, headers: JSON.stringify(w.headers), body: w.body,
      received_at: now, process_after: w.processAfter ?? now, processed_at: null, lease_until: null, attempts: 0, error: null,
    };
    await this.#batch.submit(row);
    this.#onStored(row.process_after);
    return row.id;
  }

  drain(): Promise<void> { return this.#batch.drain(); }
}
