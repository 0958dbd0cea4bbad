// Staying out of windows another process is claiming (loop/pace.ts), and the wait that
// wake-ups do not cut short (Wakeup.hold): what keeps N workers on one PostgreSQL queue from
// each running a claim per window for nothing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Pace } from '../../src/loop/pace.ts';
import { Wakeup } from '../../src/loop/wakeup.ts';

describe('pace', () => {
  it('stays out one to two windows after a lost window, longer after each one lost in a row, never past its cap', () => {
    for (const r of [0, 0.5, 0.999]) {
      const pace = new Pace(20, 8, () => r);
      const waits = Array.from({ length: 8 }, () => pace.lost());
      assert.ok(waits[0] >= 20 && waits[0] <= 40, `first: ${waits[0]}`);
      for (let i = 1; i < waits.length; i++) assert.ok(waits[i] >= waits[i - 1], `grows: ${waits}`);
      assert.ok(waits.at(-1)! <= 160 && waits.at(-1)! >= 80, `capped at 8 windows: ${waits}`);
      assert.equal(pace.losses, 8);
    }
  });

  it('a claim that takes work ends it: the next lost window is the first again', () => {
    const pace = new Pace(20, 8, () => 0.999);
    for (let i = 0; i < 5; i++) pace.lost();
    pace.reset();
    assert.equal(pace.losses, 0);
    assert.ok(pace.lost() <= 40);
  });

  it('never stays out less than one window, whatever its jitter', () => {
    const pace = new Pace(20, 1, () => 0);
    assert.equal(pace.lost(), 20);
  });
});

describe('Wakeup.hold', () => {
  it('is not cut short by wake-ups, but ends at one once it is done (a stop)', async () => {
    const wake = new Wakeup();
    let done = false;
    let ended = false;
    const held = wake.hold(60_000, () => done).then(() => { ended = true; });
    for (let i = 0; i < 5; i++) { wake.wake(); await new Promise((r) => setImmediate(r)); }
    assert.equal(ended, false, 'woken five times, still holding');
    done = true;
    wake.cancel();
    await held;
    assert.equal(ended, true);
  });

  it('ends when its time is up', async () => {
    const wake = new Wakeup();
    await wake.hold(5, () => false); // resolves: the test would time out otherwise
  });
});
