// The same GCRA limits shared by every process through Redis (REDIS_URL): one key per
// limited thing holding its TAT in milliseconds of Redis's own clock, so machines with
// skewed clocks still agree. One Lua script reads and moves TAT atomically.
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

  constructor(url: string, prefix = 'switchboard:rate:') {
    const redis = new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false });
    redis.defineCommand('gcra', { numberOfKeys: 1, lua: SCRIPT });
    this.#redis = redis as Scripted;
    this.#prefix = prefix;
  }

  async reserve(key: string, perSecond: number, toleranceMs: number, cost = 1): Promise<Reservation> {
    if (!(perSecond > 0) || perSecond === Infinity) return { ok: true, waitMs: 0 };
    const [ok, wait] = await this.#redis.gcra(this.#prefix + key, String((Math.max(1, cost) * 1000) / perSecond), String(toleranceMs));
    return { ok: ok === 1, waitMs: Math.max(0, Number(wait)) };
  }

  async close(): Promise<void> { this.#redis.disconnect(); }
}

/** Redis-backed limits when REDIS_URL is set (shared by every process), else in memory. */
export function createLimiter(redisUrl: string, prefix?: string): RateLimiter {
  return redisUrl ? new RedisLimiter(redisUrl, prefix) : new MemoryLimiter();
}
