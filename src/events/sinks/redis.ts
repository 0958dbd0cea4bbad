// Redis Streams: every event XADDed to the stream `switchboard:events`, trimmed to about
// SWITCHBOARD_EVENT_REDIS_MAXLEN entries (MAXLEN ~). Fields: id, type, account_id,
// subject and event (the CloudEvent JSON). Resolves once Redis answered every XADD of
// the batch (one pipeline). ioredis reconnects by itself; while Redis is away a publish
// fails at once (no offline queue) and the events wait in the outbox.
import { Redis } from 'ioredis';
import { TYPE_PREFIX, type Envelope, type EventSink } from '../cloud-event.ts';

export const STREAM_KEY = 'switchboard:events';

export class RedisSink implements EventSink {
  readonly name: string;
  readonly #redis: Redis;
  readonly #maxLen: number;

  constructor(url: string, name: string, maxLen: number) {
    this.name = name;
    this.#maxLen = maxLen;
    this.#redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: 5_000, connectTimeout: 2_000, lazyConnect: true });
    this.#redis.on('error', () => { /* a failed publish says so */ });
  }

  async publish(events: readonly Envelope[]): Promise<void> {
    if (this.#redis.status === 'wait') await this.#redis.connect();
    const p = this.#redis.pipeline();
    for (const e of events) p.xadd(STREAM_KEY, 'MAXLEN', '~', this.#maxLen, '*', 'id', e.id, 'type', TYPE_PREFIX + e.type, 'account_id', e.account_id, 'subject', e.subject, 'event', e.json);
    const results = (await p.exec()) ?? [];
    const failed = results.find(([err]) => err);
    if (failed || results.length < events.length) throw failed?.[0] ?? new Error('Redis did not take every event');
  }

  async close(): Promise<void> { this.#redis.disconnect(); }
}
