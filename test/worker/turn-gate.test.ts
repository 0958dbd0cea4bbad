// A number's rate slots go to waiting messages in turn order (worker/turn-gate.ts), on the
// real in-memory limiter.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TurnGate } from '../../src/worker/turn-gate.ts';
import { MemoryLimiter } from '../../src/routing/rate-limit/limiter.ts';

describe('turn gate', () => {
  it('serves waiters by lane and turn key, not by arrival, at the number\'s rate', async () => {
    const gate = new TurnGate(new MemoryLimiter());
    const order: string[] = [];
    // 2 a second: the later arrivals must come before busy2's slot is within reach (SLOT_AHEAD_MS),
    // 450 ms of slack for a busy machine between the first waiters and them (at 10/s it was 50 ms).
    const take = (name: string, lane: number, key: number) => gate.take('number:+1', 2, 1, { lane, key }, 10_000).then((r) => { assert.ok(r.ok); order.push(name); });
    // Five of a busy flow wait first; a message whose turn comes sooner arrives while they wait, then an urgent one.
    const waiting = [1, 2, 3, 4, 5].map((k) => take(`busy${k}`, 1, k * 1000));
    await new Promise((r) => setImmediate(r));
    waiting.push(take('quiet', 1, 1500), take('urgent', 0, 9_999_999));
    await Promise.all(waiting);
    // busy1 already holds the first slot (at 2/s a slot is 500 ms, beyond what is reserved
    // ahead); every later slot goes by lane and turn.
    assert.deepEqual(order, ['busy1', 'urgent', 'quiet', 'busy2', 'busy3', 'busy4', 'busy5']);
  });

  it('gives up after the wait budget with how long until a slot, and lets the next in line go', async () => {
    const limiter = new MemoryLimiter();
    const gate = new TurnGate(limiter);
    assert.ok((await gate.take('number:+2', 1, 1, { lane: 1, key: 1 }, 0)).ok, 'the first slot is free');
    const r = await gate.take('number:+2', 1, 1, { lane: 1, key: 2 }, 20);
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.waitMs > 0);
    assert.ok((await gate.take('number:+3', 0, 1, { lane: 1, key: 3 }, 0)).ok, 'an unlimited number has no line');
  });
});
