// Provider health shared by every process through Redis (REDIS_URL), so that a provider
// one worker found dead is avoided by all of them within a second.
//
// - Counts: each process adds its own send results and receipts to one hash per provider
//   (`<prefix>health:<provider>`, fields `<process>|<bucket start>|<ok|err|delivered|
//   undelivered>`), batched every SWITCHBOARD_SHARED_SYNC_MS (250 ms); in the same round
//   trip it reads the hash back and hands the other processes' counts inside the window
//   to its Health, which judges the circuit on the sum. Buckets are the Health window's.
// - Circuits: a process whose circuit opens (or whose half-open probe succeeds, closing
//   it) publishes that at once on `<prefix>circuit`, and keeps an open circuit in
//   `<prefix>circuit:<provider>` for the cool-down, which the sync reads, so a process that
//   starts, or missed the message, learns it too. Each process still sends its own
//   half-open probe.
// - Redis unreachable: commands fail fast (no offline queue); the process forgets remote
//   counts and carries on with its own (per-process health, as without Redis), reports
//   `degraded` (readiness, metric) and rejoins when Redis answers again. Nothing about
//   messages is kept in Redis, so nothing is lost or sent twice because of it.
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { bucketMs, bucketStart, type CountField, type Counts, type DueCounts, type Health, type HealthShare } from './health.ts';
import { Periodic } from '../loop/periodic.ts';

const FIELDS: readonly CountField[] = ['ok', 'err', 'delivered', 'undelivered', 'receipted'];

export interface SharedHealthOptions {
  health: Health;
  redisUrl: string;
  prefix: string;
  windowMs: number;
  openMs: number;
  syncMs: number;
  /** the providers to keep in step (the active ones) */
  providers: () => string[];
  logger: Logger;
  onDegraded?: (degraded: boolean) => void;
}

interface CircuitNews { from: string; provider: string; state: 'open' | 'closed' }

export class SharedHealth implements HealthShare {
  readonly process = randomBytes(6).toString('hex');
  readonly #o: SharedHealthOptions;
  readonly #redis: Redis;
  readonly #sub: Redis;
  /** counts not yet written: provider → field key → increment */
  #pending = new Map<string, Map<string, number>>();
  #loop: Periodic | null = null;
  #degraded = false;

  constructor(o: SharedHealthOptions) {
    this.#o = o;
    const opts = { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 1_000, connectTimeout: 1_000, lazyConnect: true } as const;
    this.#redis = new Redis(o.redisUrl, opts);
    // The subscriber subscribes on every 'ready' itself, with its failure caught. ioredis's
    // own resubscribe on reconnect sends SUBSCRIBE uncaught, so a disconnect just after a
    // reconnect was an unhandled rejection ("Connection is closed."): it is off.
    this.#sub = new Redis(o.redisUrl, { ...opts, enableOfflineQueue: true, commandTimeout: undefined, autoResubscribe: false });
    for (const r of [this.#redis, this.#sub]) r.on('error', () => { /* reported through degraded */ });
    // Degraded from the moment the connection drops (the next sync would notice too).
    this.#redis.on('close', () => { if (this.#o.health.share === this) this.#setDegraded(true); });
    this.#sub.on('message', (_channel: string, text: string) => this.#news(text));
    this.#sub.on('ready', () => { void this.#sub.subscribe(this.#channel).catch(() => {}); });
  }

  get #channel(): string { return `${this.#o.prefix}circuit`; }
  #hash(provider: string): string { return `${this.#o.prefix}health:${provider}`; }
  #circuitKey(provider: string): string { return `${this.#o.prefix}circuit:${provider}`; }

  /** whether Redis was unreachable at the last sync (health is per process meanwhile) */
  get degraded(): boolean { return this.#degraded; }

  async start(): Promise<void> {
    this.#o.health.share = this;
    await Promise.allSettled([this.#redis.connect(), this.#sub.connect()]);
    await this.sync();
    // A failed sync marks health per process (degraded) and says so itself.
    this.#loop = new Periodic(() => this.sync().catch(() => {}), this.#o.syncMs, this.#o.logger, 'shared health sync', this.#o.syncMs);
    this.#loop.start();
  }

  async close(): Promise<void> {
    await this.#loop?.stop();
    await this.sync().catch(() => {});
    this.#o.health.share = null;
    this.#redis.disconnect();
    this.#sub.disconnect();
  }

  counted(id: string, field: CountField, now: number): void {
    const key = `${this.process}|${bucketStart(this.#o.windowMs, now)}|${field}`;
    let m = this.#pending.get(id);
    if (!m) { m = new Map(); this.#pending.set(id, m); }
    m.set(key, (m.get(key) ?? 0) + 1);
  }

  opened(id: string, _now: number): void {
    this.#announce(id, 'open', this.#redis.multi()
      .set(this.#circuitKey(id), this.process, 'PX', this.#o.openMs));
  }

  closed(id: string, now: number): void {
    // A fresh window for everyone: sends counted before now are forgotten, as they are locally.
    this.#announce(id, 'closed', this.#redis.multi().del(this.#circuitKey(id))
      .set(`${this.#hash(id)}:sends-cleared`, String(now), 'PX', this.#o.windowMs * 2));
  }

  #announce(id: string, state: 'open' | 'closed', multi: ReturnType<Redis['multi']>): void {
    const news: CircuitNews = { from: this.process, provider: id, state };
    // Not connected: nothing is sent (a transaction queued on a closed connection fails
    // command by command); the other processes judge on their own meanwhile.
    if (this.#redis.status !== 'ready') return;
    multi.publish(this.#channel, JSON.stringify(news)).exec().catch((err) => {
      this.#o.logger.warn({ provider: id, state, err: (err as Error).message }, 'could not share a circuit change; other processes will judge on their own');
    });
  }

  #news(text: string): void {
    let n: CircuitNews;
    try { n = JSON.parse(text) as CircuitNews; } catch { return; }
    if (n.from === this.process || typeof n.provider !== 'string') return;
    if (n.state === 'open') this.#o.health.remoteOpen(n.provider, Date.now());
    else if (n.state === 'closed') this.#o.health.remoteClose(n.provider);
  }

  /** One round trip: write this process's new counts, read everyone's, and open circuits. */
  async sync(now = Date.now()): Promise<void> {
    const providers = this.#o.providers();
    const pending = this.#pending;
    this.#pending = new Map();
    const ttl = this.#o.windowMs * 2;
    if (this.#redis.status !== 'ready') {
      this.#setDegraded(true, new Error(`Redis connection ${this.#redis.status}`));
      for (const id of providers) this.#o.health.remoteCounts(id, null);
      if (this.#redis.status === 'wait') this.#redis.connect().catch(() => {});
      return;
    }
    const multi = this.#redis.multi();
    for (const [id, fields] of pending) {
      for (const [field, n] of fields) multi.hincrby(this.#hash(id), field, n);
      multi.pexpire(this.#hash(id), ttl);
    }
    for (const id of providers) multi.hgetall(this.#hash(id)).pttl(this.#circuitKey(id)).get(`${this.#hash(id)}:sends-cleared`);
    let results: [Error | null, unknown][] | null;
    try {
      results = await multi.exec();
      if (!results) throw new Error('transaction aborted');
    } catch (err) {
      // Counts that could not be written are dropped: stale health is worse than none.
      this.#setDegraded(true, err as Error);
      for (const id of providers) this.#o.health.remoteCounts(id, null);
      return;
    }
    this.#setDegraded(false);
    const reads = results.slice(results.length - providers.length * 3);
    const since = now - this.#o.windowMs;
    const stale: [string, string[]][] = [];
    providers.forEach((id, i) => {
      const hash = (reads[i * 3][1] ?? {}) as Record<string, string>;
      const openMsLeft = Number(reads[i * 3 + 1][1]);
      const clearedAt = Number(reads[i * 3 + 2][1] ?? 0);
      const counts: Counts = { ok: 0, err: 0, delivered: 0, undelivered: 0, receipted: 0 };
      // Sends and receipts in buckets old enough to judge receipt latency by.
      const cutoff = this.#o.health.dueCutoff(now);
      const due: DueCounts = { ok: 0, receipted: 0 };
      const old: string[] = [];
      for (const [key, value] of Object.entries(hash)) {
        const [proc, start, field] = key.split('|');
        const at = Number(start);
        if (!(at >= since)) { old.push(key); continue; }
        if (proc === this.process || !FIELDS.includes(field as CountField)) continue;
        // Sends counted before a circuit closed belong to the window it forgot.
        if ((field === 'ok' || field === 'err') && at + bucketMs(this.#o.windowMs) <= clearedAt) continue;
        counts[field as CountField] += Number(value) || 0;
        if (cutoff !== null && (field === 'ok' || field === 'receipted') && at + bucketMs(this.#o.windowMs) <= cutoff) due[field] += Number(value) || 0;
      }
      this.#o.health.remoteCounts(id, counts, due);
      if (openMsLeft > 0 && this.#o.health.state(id, now) === 'closed') this.#o.health.remoteOpen(id, now - (this.#o.openMs - openMsLeft));
      if (old.length > 0) stale.push([id, old]);
    });
    if (stale.length > 0 && this.#redis.status === 'ready') {
      const prune = this.#redis.multi();
      for (const [id, keys] of stale) prune.hdel(this.#hash(id), ...keys);
      await prune.exec().catch(() => {});
    }
  }

  #setDegraded(degraded: boolean, err?: Error): void {
    if (degraded === this.#degraded) return;
    this.#degraded = degraded;
    if (degraded) this.#o.logger.warn({ err: err?.message }, 'Redis unreachable: provider health and rate limits are per process until it answers again');
    else this.#o.logger.info('Redis answers again: provider health is shared');
    this.#o.onDegraded?.(degraded);
  }
}
