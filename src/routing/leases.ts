// Named leases shared by every process through Redis: a provider's long-lived sessions
// (SMPP binds) are slots, each held by one process at a time, so `binds: 2` means two
// binds in all however many workers run. A lease is taken with SET NX PX, renewed only by
// its holder and released only by its holder (one Lua script each). Without Redis every
// process holds every lease (sessions are per process, as documented).
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import type { SessionLeases } from '../providers/provider.ts';


const ACQUIRE = `
local v = redis.call('GET', KEYS[1])
if v == false then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0
`;
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

type Scripted = Redis & { leaseAcquire(key: string, owner: string, ttl: string): Promise<number>; leaseRelease(key: string, owner: string): Promise<number> };

export class RedisLeases implements SessionLeases {
  readonly #redis: Scripted;
  readonly #prefix: string;
  readonly owner = randomBytes(8).toString('hex');
  readonly ttlMs: number;

  constructor(url: string, prefix: string, ttlMs: number) {
    this.ttlMs = ttlMs;
    const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: true, commandTimeout: 1_000, connectTimeout: 1_000 });
    redis.on('error', () => { /* acquire rejects; the caller decides */ });
    redis.defineCommand('leaseAcquire', { numberOfKeys: 1, lua: ACQUIRE });
    redis.defineCommand('leaseRelease', { numberOfKeys: 1, lua: RELEASE });
    this.#redis = redis as Scripted;
    this.#prefix = `${prefix}lease:`;
  }

  async acquire(name: string, ttlMs: number): Promise<boolean> {
    return (await this.#redis.leaseAcquire(this.#prefix + name, this.owner, String(Math.max(1, Math.round(ttlMs))))) === 1;
  }

  async release(name: string): Promise<void> {
    await this.#redis.leaseRelease(this.#prefix + name, this.owner).catch(() => {});
  }

  async close(): Promise<void> { this.#redis.disconnect(); }
}
