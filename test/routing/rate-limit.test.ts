// GCRA rate limits: in memory on an explicit clock, and shared through Redis.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MemoryLimiter } from '../../src/routing/rate-limit/limiter.ts';
import { RedisLimiter } from '../../src/routing/rate-limit/redis.ts';
import { TEST_REDIS_URL, redisSkip } from '../helpers/env.ts';

describe('rate limits in memory', () => {
  it('hands out slots one interval apart and refuses those beyond the tolerance', () => {
    let now = 10_000;
    const l = new MemoryLimiter(() => now);
    assert.deepEqual(l.reserveSync('n', 1, 2000), { ok: true, waitMs: 0 });
    assert.deepEqual(l.reserveSync('n', 1, 2000), { ok: true, waitMs: 1000 });
    assert.deepEqual(l.reserveSync('n', 1, 2000), { ok: true, waitMs: 2000 });
    assert.deepEqual(l.reserveSync('n', 1, 2000), { ok: false, waitMs: 1000 });
    now += 1000;
    assert.deepEqual(l.reserveSync('n', 1, 2000), { ok: true, waitMs: 2000 });
    assert.deepEqual(l.reserveSync('other', 1, 0), { ok: true, waitMs: 0 }, 'keys are independent');
  });

  it('a reservation can cost several slots (segments), and the next waits for all of them', () => {
    let now = 0;
    const l = new MemoryLimiter(() => now);
    assert.deepEqual(l.reserveSync('n', 1, 5000, 3), { ok: true, waitMs: 0 }, 'a 3-segment text goes at once');
    assert.deepEqual(l.reserveSync('n', 1, 5000), { ok: true, waitMs: 3000 }, 'the next waits out its three segments');
    assert.deepEqual(l.reserveSync('n', 1, 3500, 2), { ok: false, waitMs: 500 });
  });

  it('used as a burst (intake): tolerance lets `burst` through at once, then one per interval', () => {
    let now = 0;
    const l = new MemoryLimiter(() => now);
    const burst = 3;
    const ok = () => l.reserveSync('k', 10, (burst - 1) * 100).ok;
    assert.deepEqual([ok(), ok(), ok(), ok()], [true, true, true, false]);
    now += 100;
    assert.deepEqual([ok(), ok()], [true, false]);
  });
});

describe('rate limits shared through Redis', { skip: redisSkip }, () => {
  it('two limiters (two processes) share one number\'s slots', async () => {
    const prefix = `test:${randomBytes(4).toString('hex')}:`;
    const a = new RedisLimiter(TEST_REDIS_URL, prefix);
    const b = new RedisLimiter(TEST_REDIS_URL, prefix);
    await a.start();
    await b.start();
    try {
      const waits = [];
      for (let i = 0; i < 3; i++) {
        waits.push((await a.reserve('n', 2, 5000)).waitMs, (await b.reserve('n', 2, 5000)).waitMs);
      }
      // Six slots at 2/s: 0, 500, …, 2500 ms from the first (less the time the calls took).
      for (let i = 1; i < waits.length; i++) assert.ok(waits[i] - waits[i - 1] > 450 && waits[i] - waits[i - 1] <= 500, `gap ${i}: ${waits[i] - waits[i - 1]}`);
      const costly = await b.reserve('m', 2, 5000, 4);
      assert.equal(costly.waitMs, 0);
      const after = await a.reserve('m', 2, 5000);
      assert.ok(after.waitMs > 1900 && after.waitMs <= 2000, `four segments at 2/s hold the next for 2 s: ${after.waitMs}`);
      const refused = await a.reserve('n', 2, 1000);
      assert.equal(refused.ok, false);
      assert.ok(refused.waitMs > 1900 && refused.waitMs <= 2000, `wait ${refused.waitMs}`);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
