// Staying out of windows another process is claiming (loop/pace.ts), and the wait that
// wake-ups do not cut short (Wakeup.hold): what keeps N workers on one PostgreSQL queue from
// each running a claim per window for nothing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Pace } from '../../src/loop/pace.ts';
import { Wakeup } from '../../src/loop/wakeup.ts';

describe('pace', () => {
  it('stays out two to three windows after a refused claim, longer after each refusal in a row, never past its cap', () => {
    for (const r of [0, 0.5, 0.999]) {
      const pace = new Pace(20, 8, () => r);
      const waits = Array.from({ length: 8 }, () => pace.lost());
      assert.ok(waits[0] >= 40 && waits[0] <= 60, `first: ${waits[0]}`);
      for (let i = 1; i < waits.length; i++) assert.ok(waits[i] >= waits[i - 1], `grows: ${waits}`);
      assert.ok(waits.at(-1)! <= 180 && waits.at(-1)! >= 100, `capped at a window and 8 more: ${waits}`);
      assert.equal(pace.losses, 8);
    }
  });

  it('a claim that is not refused ends it: the next refusal is the first again', () => {
    const pace = new Pace(20, 8, () => 0.999);
    for (let i = 0; i < 5; i++) pace.lost();
    pace.reset();
    assert.equal(pace.losses, 0);
    assert.ok(pace.lost() <= 60);
  });

  it('always stays out more than the window (the process that took it claims again one window later), whatever its jitter', () => {
    const pace = new Pace(20, 1, () => 0);
    assert.ok(pace.lost() > 20);
  });
});

describe('Pace.afterClaim', () => {
  it('stays out after a refused claim, however often it is woken, and not after one that was not refused', async () => {
    const pace = new Pace(60_000);
    const wake = new Wakeup();
    assert.equal(await pace.afterClaim(false, wake, () => false), false);
    assert.equal(pace.losses, 0);
    let stopped = false;
    let ended = false;
    const out = pace.afterClaim(true, wake, () => stopped).then((r) => { ended = true; return r; });
    for (let i = 0; i < 3; i++) { wake.wake(); await new Promise((r) => setImmediate(r)); }
    assert.equal(ended, false, 'wake-ups do not end it');
    stopped = true; // a stop does
    wake.cancel();
    assert.equal(await out, true);
    assert.equal(pace.losses, 1);
    assert.equal(await pace.afterClaim(false, wake, () => false), false);
    assert.equal(pace.losses, 0, 'a claim that was not refused ends the run of refusals');
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
