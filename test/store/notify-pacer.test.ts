// PostgreSQL's NOTIFYs paced (store/postgres/notify-pacer.ts): at most one a window from
// a process, and never a write left without one after it committed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NotifyPacer } from '../../src/store/postgres/notify-pacer.ts';
import { eventually } from '../helpers/app.ts';

describe('notify pacer', () => {
  it('lets the first write of a window carry the NOTIFY, and the next window\'s first', () => {
    const pacer = new NotifyPacer(200, async () => {});
    assert.deepEqual([pacer.take(1_000), pacer.take(1_050), pacer.take(1_199), pacer.take(1_200), pacer.take(1_300)], [true, false, false, true, false]);
  });

  it('sends one NOTIFY after the writes that did not carry one, once their window is over', async () => {
    let sent = 0;
    const pacer = new NotifyPacer(150, async () => { sent++; });
    const start = Date.now();
    assert.equal(pacer.take(), true);
    assert.equal(pacer.take(), false);
    pacer.owe();
    assert.equal(pacer.take(), false);
    pacer.owe();
    await eventually(async () => sent > 0, 10_000, 'the owed NOTIFY');
    assert.ok(Date.now() - start >= 145, 'not before the window is over (a timer may round down by a millisecond)');
    assert.equal(sent, 1, 'one for all the writes of the window');
    pacer.stop();
  });

  it('a NOTIFY with no write goes at once in a fresh window, and once for the rest of the window after it', async () => {
    let sent = 0;
    const pacer = new NotifyPacer(150, async () => { sent++; });
    pacer.notify();
    assert.equal(sent, 1, 'the window had none: sent at once');
    pacer.notify();
    pacer.notify();
    assert.equal(sent, 1, 'not again within the window');
    await eventually(async () => sent === 2, 10_000, 'one more once the window is over');
    pacer.stop();
  });

  it('with no window, every write notifies', () => {
    const pacer = new NotifyPacer(0, async () => { throw new Error('never owed'); });
    assert.deepEqual([pacer.take(5), pacer.take(5), pacer.take(6)], [true, true, true]);
  });
});
