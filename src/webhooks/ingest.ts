// Raw first: every provider webhook is written verbatim (the headers that matter and the
// body) before anything parses it. Writes are group-committed; the processor is woken
// once the row is durable (or at the time a provider asked it to be processed).
import type { WebhookLog, WebhookRow } from '../store/store.ts';
import { GroupCommit, PartitionedCommit } from '../store/group-commit.ts';
import { newId } from '../domain/ids.ts';
import { tagId } from '../domain/regions.ts';

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

/** The region a webhook is stored in (region.ts), with regions. */
export type LocateWebhook = (w: IncomingWebhook) => Promise<number>;

export class WebhookIngest {
  /** one batch per region (a region that is away refuses only its own webhooks) */
  readonly #batches: PartitionedCommit<WebhookRow, void>;
  readonly #onStored: (processAfter: number) => void;
  readonly #locate: LocateWebhook | undefined;

  /**
   * `windowMs`: how long a batch of raw webhooks gathers before it is stored (GroupCommit);
   * `locate`: the region a webhook is stored in, with regions (region.ts; its id carries it).
   */
  constructor(store: IngestStore, onStored: (processAfter: number) => void, batchesInFlight = 1, windowMs = 0, locate?: LocateWebhook, regions = 1) {
    this.#batches = new PartitionedCommit(regions, () => new GroupCommit<WebhookRow, void>(async (rows) => { await store.insertWebhooks(rows); return rows.map(() => undefined); }, 500, batchesInFlight, windowMs));
    this.#onStored = onStored;
    this.#locate = locate;
  }

  async ingest(w: IncomingWebhook): Promise<string> {
    const now = Date.now();
    const region = this.#locate ? await this.#locate(w) : 0;
    const row: WebhookRow = {
      id: this.#locate ? tagId(newId('whk'), region) : newId('whk'), provider_id: w.providerId, kind: w.kind, url: w.url, headers: JSON.stringify(w.headers), body: w.body,
      received_at: now, process_after: w.processAfter ?? now, processed_at: null, lease_until: null, attempts: 0, error: null,
    };
    await this.#batches.submit(region, row);
    this.#onStored(row.process_after);
    return row.id;
  }

  drain(): Promise<void> { return this.#batches.drain(); }
}
