// The outbox publisher (DESIGN.md §1, "events leave through an outbox"). Every process
// runs one; the one holding the `outbox` lease (store/ports/outbox.ts) works: it gives
// new events their feed positions (the sequencer) and publishes to each sink from that
// sink's cursor, in position order, advancing the cursor only after the broker
// acknowledged the batch. So publishing is at least once (a holder that dies after the
// broker took a batch and before its cursor moved leaves it to be published again, which
// the event ids de-duplicate) and in order per message; two processes never publish at
// once, and one that dies leaves everything unpublished to the next holder. A sink that
// fails waits with backoff while the others go on; events wait in the outbox meanwhile.
// Events older than the retention are purged whether or not a sink took them.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { Gauge, Counter, type Registry } from 'prom-client';
import type { EventOutbox } from '../store/store.ts';
import { FEED_READ_MARK } from '../store/ports/outbox.ts';
import { Wakeup } from '../loop/wakeup.ts';
import { cloudEventJson, type EventSink } from './cloud-event.ts';

export const OUTBOX_LEASE = 'outbox';
/** How long after the HTTP feed's last read positions are still given without a sink (PostgreSQL). */
export const FEED_IDLE_MS = 10 * 60_000;

interface SinkState { sink: EventSink; cursor: number | null; failures: number; retryAt: number; error: string | null }

export interface PublisherOptions {
  store: EventOutbox;
  sinks: EventSink[];
  /** CloudEvents `source`: PUBLIC_URL */
  source: string;
  logger: Logger;
  registry?: Registry;
  retentionMs: number;
  batch?: number;
  leaseMs?: number;
  /** how often an idle holder looks for new events (a wake() comes sooner) */
  idleMs?: number;
  /** whether stop() closes the sinks (false where publishers of several outboxes share them) */
  closeSinks?: boolean;
}

export class EventPublisher {
  readonly owner = randomBytes(8).toString('hex');
  readonly #o: Required<Omit<PublisherOptions, 'registry'>>;
  readonly #sinks: SinkState[];
  readonly #wake = new Wakeup();
  readonly #published: Counter<'sink'> | null = null;
  #running: Promise<void> | null = null;
  #stopping = false;
  #holder = false;
  #renewAt = 0;
  #purgedAt = 0;
  readonly #sequencedWaiters = new Set<() => void>();

  constructor(o: PublisherOptions) {
    this.#o = { batch: 500, leaseMs: 10_000, idleMs: 100, closeSinks: true, ...o };
    this.#sinks = o.sinks.map((sink) => ({ sink, cursor: null, failures: 0, retryAt: 0, error: null }));
    if (o.registry) {
      const registers = [o.registry];
      this.#published = new Counter({ name: 'switchboard_events_published_total', help: 'Events a broker acknowledged, by sink', labelNames: ['sink'], registers });
      // Read from the store at scrape time: right in every process, holder or not.
      const backlog = async (set: (sink: string, b: { count: number; oldestAt: number | null }) => void) => {
        for (const s of this.#sinks) set(s.sink.name, await this.#o.store.outboxBacklog(await this.#o.store.outboxCursor(s.sink.name)));
      };
      new Gauge({
        name: 'switchboard_event_outbox_depth', help: 'Events a sink has not published yet', labelNames: ['sink'], registers,
        async collect() { await backlog((sink, b) => this.set({ sink }, b.count)).catch(() => {}); },
      });
      new Gauge({
        name: 'switchboard_event_outbox_oldest_age_seconds', help: 'Age of the oldest event a sink has not published yet (0 when none)', labelNames: ['sink'], registers,
        async collect() { await backlog((sink, b) => this.set({ sink }, b.oldestAt === null ? 0 : Math.max(0, (Date.now() - b.oldestAt) / 1000))).catch(() => {}); },
      });
    }
  }

  start(): void { this.#running = this.#loop(); }

  /** Resolves when this process gives new events their positions, or after `ms` (another process may hold the lease): the feed's long-poll. */
  sequenced(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => { clearTimeout(timer); this.#sequencedWaiters.delete(done); resolve(); };
      const timer = setTimeout(done, ms);
      this.#sequencedWaiters.add(done);
    });
  }

  /** Why readiness is degraded: the sinks that are failing (in the process that publishes). */
  degraded(): string[] {
    return this.#sinks.filter((s) => s.error !== null).map((s) => `event sink ${s.sink.name} unreachable: events wait in the outbox (${s.error})`);
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake.cancel();
    await this.#running;
    if (this.#holder) await this.#o.store.releaseOutboxLease(OUTBOX_LEASE, this.owner).catch(() => {});
    if (this.#o.closeSinks) await Promise.all(this.#sinks.map((s) => s.sink.close().catch(() => {})));
  }

  async #loop(): Promise<void> {
    let failures = 0;
    while (!this.#stopping) {
      let busy = false;
      try {
        busy = await this.tick(Date.now());
        failures = 0;
      } catch (err) {
        // The database away: back off (up to 5 s) instead of asking it ten times a second; logged once per outage.
        if (failures++ === 0) this.#o.logger.warn({ err }, 'event publisher round failed; retrying with backoff');
      }
      const wait = failures > 0 ? Math.min(5_000, 250 * 2 ** Math.min(failures - 1, 5)) : this.#holder ? this.#o.idleMs : this.#o.leaseMs / 4;
      if (!this.#stopping && !busy) await this.#wake.wait(wait);
    }
  }

  /** One round; answers whether there is more to do at once. */
  async tick(now: number): Promise<boolean> {
    const { store } = this.#o;
    // Only one process may publish, or give positions where they cost an update of the row
    // (PostgreSQL; on SQLite they come with the commit). Without sinks, positions are given
    // only while the HTTP feed is read (within FEED_IDLE_MS of its last read). Otherwise
    // there is nothing one process must do alone: no lease (each renewal is a write).
    if (this.#sinks.length === 0 && (store.positionsAtCommit || !(await this.#feedRead(now)))) {
      if (store.positionsAtCommit && await store.sequenceEvents(this.#o.batch * 4, now) > 0) { for (const w of this.#sequencedWaiters) w(); }
      await this.#purge(now);
      return false;
    }
    // Renewed once a third of it has run (each renewal is a commit), taken when free.
    if (!this.#holder || now >= this.#renewAt) {
      this.#holder = await store.acquireOutboxLease(OUTBOX_LEASE, this.owner, now, this.#o.leaseMs);
      this.#renewAt = now + this.#o.leaseMs / 3;
    }
    if (!this.#holder) { for (const s of this.#sinks) s.cursor = null; return false; }
    const sequenced = await store.sequenceEvents(this.#o.batch * 4, now);
    if (sequenced > 0) { for (const w of this.#sequencedWaiters) w(); }
    const more = await Promise.all(this.#sinks.map((s) => this.#publish(s, now)));
    await this.#purge(now);
    return sequenced === this.#o.batch * 4 || more.some(Boolean);
  }

  #feedReadAt = 0;
  #feedCheckedAt = 0;

  /** Whether the HTTP feed was read lately (its mark read at most once a second). */
  async #feedRead(now: number): Promise<boolean> {
    if (now - this.#feedCheckedAt >= 1_000) {
      this.#feedCheckedAt = now;
      this.#feedReadAt = await this.#o.store.outboxCursor(FEED_READ_MARK);
    }
    return now - this.#feedReadAt < FEED_IDLE_MS;
  }

  /** Every 10 s, expired events in batches until gone or a second is spent: thousands a second may expire, and no batch should hold the database for long. */
  async #purge(now: number): Promise<void> {
    if (now - this.#purgedAt <= 10_000) return;
    this.#purgedAt = now;
    const until = Date.now() + 1_000;
    while (await this.#o.store.purgeEvents(now - this.#o.retentionMs, 5_000) === 5_000 && Date.now() < until && !this.#stopping) { /* next batch */ }
  }

  /** One batch to one sink from its cursor; answers whether a full batch went (more may wait). */
  async #publish(s: SinkState, now: number): Promise<boolean> {
    if (now < s.retryAt) return false;
    const { store } = this.#o;
    try {
      s.cursor ??= await store.outboxCursor(s.sink.name);
      const events = await store.readEvents({ after: s.cursor, limit: this.#o.batch });
      if (events.length === 0) { this.#recovered(s); return false; }
      await s.sink.publish(events.map((e) => ({ id: e.id, type: e.type, account_id: e.account_id, subject: e.subject, time: e.time, json: cloudEventJson(e, this.#o.source) })));
      const last = events[events.length - 1].pos;
      await store.setOutboxCursor(s.sink.name, last, Date.now());
      s.cursor = last;
      this.#published?.inc({ sink: s.sink.name }, events.length);
      this.#recovered(s);
      return events.length === this.#o.batch;
    } catch (err) {
      s.failures++;
      s.retryAt = Date.now() + Math.min(5_000, 100 * 2 ** Math.min(s.failures, 6));
      if (s.error === null) this.#o.logger.warn({ sink: s.sink.name, err: (err as Error).message }, 'event sink unreachable: events wait in the outbox');
      s.error = (err as Error).message;
      return false;
    }
  }

  #recovered(s: SinkState): void {
    if (s.error !== null) this.#o.logger.info({ sink: s.sink.name }, 'event sink reachable again');
    s.failures = 0;
    s.error = null;
  }
}

/**
 * One publisher per outbox where the store has regions (store/regional/): the home
 * store's (events about no message) and each region's this process works in, every one
 * publishing to the same sinks. Events keep their order per outbox, so per message.
 */
export function eventPublishers(o: Omit<PublisherOptions, 'store'>, stores: EventOutbox[]): Pick<EventPublisher, 'start' | 'stop' | 'sequenced' | 'degraded'> {
  const all = stores.map((store, i) => new EventPublisher({ ...o, store, registry: i === 0 ? o.registry : undefined, closeSinks: i === stores.length - 1 }));
  if (all.length === 1) return all[0];
  return {
    start: () => { for (const p of all) p.start(); },
    stop: async () => { for (const p of all) await p.stop(); },
    sequenced: (ms) => Promise.race(all.map((p) => p.sequenced(ms))),
    degraded: () => [...new Set(all.flatMap((p) => p.degraded()))],
  };
}
