// A sandbox's scripted behaviour on its own: outage windows, rates drawn per send, receipts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseBehaviour, Script } from '../../src/sandbox/script.ts';

describe('sandbox script', () => {
  it('answers as down inside an outage window and by its rates outside', () => {
    const draws = [0.05, 0.15, 0.5];
    let i = 0;
    const s = new Script({ error_rate: 0.1, throttle_rate: 0.1, outages: [{ from_s: 10, to_s: 20 }] }, { startedAt: 0, random: () => draws[i++ % draws.length] });
    assert.equal(s.verdict(15_000), 'outage');
    assert.deepEqual([s.verdict(1_000), s.verdict(2_000), s.verdict(3_000)], ['error', 'throttle', 'ok']);
    assert.equal(s.verdict(20_000), 'error', 'the window ends at to_s');
  });

  it('says what each receipt reports, or that none comes', () => {
    assert.equal(new Script({ undelivered_rate: 1 }).receipt(), 'undelivered');
    assert.equal(new Script({}).receipt(), 'delivered');
    assert.equal(new Script({ receipts: false, undelivered_rate: 1 }).receipt(), 'lost');
    assert.equal(new Script({ receipt_delay_ms: 250 }).receiptDelayMs(5), 250);
  });

  it('refuses a behaviour it cannot follow, saying why', () => {
    for (const [bad, why] of [[{ error_rate: 1.5 }, /error_rate/], [{ latency_ms: -1 }, /latency_ms/], [{ outages: [{ from_s: 5, to_s: 1 }] }, /outages/], [{ surprise: 1 }, /unknown behaviour field/], [[], /JSON object/]] as const) {
      assert.throws(() => parseBehaviour(bad), why as RegExp);
    }
  });
});
