// The same GCRA limits shared by every process through Redis (REDIS_URL): one key per
// limited thing holding its TAT in milliseconds of Redis's own clock, so machines with
// skewed clocks still agree. One Lua script reads and moves TAT atomically.
// Redis unreachable: commands fail fast (no offline queue, 1 s timeout) and each process
// limits on its own in memory (`degraded`) until Redis answers again. Per-process limits
// can let through up to N processes × the limit meanwhile; nothing waits on Redis.
import { Redis } from 'ioredis';
import { MemoryLimiter, type RateLimiter, type Reservation } from './limiter.ts';

const SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - now
if wait > tolerance then return {0, tostring(wait - tolerance)} end
local nextTat = tat + interval
redis.call('SET', KEYS[1], tostring(nextTat), 'PX', math.ceil(nextTat - now) + 1000)
return {1, tostring(wait)}
`;

type Scripted = Redis & { gcra(key: string, interval: string, tolerance: string): Promise<[number, string]> };

export class RedisLimiter implements RateLimiter {
  readonly #redis: Scripted;
  readonly #prefix: string;
  readonly #fallback = new MemoryLimiter();
  readonly #onDegraded: (degraded: boolean) => void;
  #degraded = false;

  constructor(url: string, prefix = 'switchboard:rate:', onDegraded: (degraded: boolean) => void = () => {}) {
    const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: 1_000, connectTimeout: 1_000, lazyConnect: true });
    redis.on('error', () => { /* reported through degraded */ });
    // Degraded from the moment the connection drops until it is back (not only when a
    // reserve happens to notice), so readiness tells the truth when nothing is sending.
    redis.on('close', () => this.#setDegraded(true));
    redis.on('ready', () => this.#setDegraded(false));
    redis.defineCommand('gcra', { numberOfKeys: 1, lua: SCRIPT });
    this.#redis = redis as Scripted;
    this.#prefix = prefix;
    this.#onDegraded = onDegraded;
  }

  get degraded(): boolean { return this.#degraded; }

  async start(): Promise<void> { await this.#redis.connect().catch(() => this.#setDegraded(true)); }

  async reserve(key: string, perSecond: number, toleranceMs: number, cost = 1): Promise<Reservation> {
    if (!(perSecond > 0) || perSecond === Infinity) return { ok: true, waitMs: 0 };
    try {
      const [ok, wait] = await this.#redis.gcra(this.#prefix + key, String((Math.max(1, cost) * 1000) / perSecond), String(toleranceMs));
      this.#setDegraded(false);
      return { ok: ok === 1, waitMs: Math.max(0, Number(wait)) };
    } catch {
      this.#setDegraded(true);
      return this.#fallback.reserve(key, perSecond, toleranceMs, cost);
    }
  }

  #setDegraded(degraded: boolean): void {
    if (degraded === this.#degraded) return;
    this.#degraded = degraded;
    this.#onDegraded(degraded);
  }

  async close(): Promise<void> {
    this.#redis.removeAllListeners('close');
    this.#redis.disconnect();
  }
}

/** Redis-backed limits when REDIS_URL is set (shared by every process), else in memory. */
export function createLimiter(redisUrl: string, prefix?: string, onDegraded?: (degraded: boolean) => void): RateLimiter {
  return redisUrl ? new RedisLimiter(redisUrl, prefix, onDegraded) : new MemoryLimiter();
}
