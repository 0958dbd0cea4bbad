import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GroupCommit } from '../../src/store/group-commit.ts';

/** A flush the test resolves by hand, recording each batch it was given. */
function manualFlush() {
  const batches: number[][] = [];
  const open: { items: number[]; resolve: (r: number[]) => void; reject: (e: unknown) => void }[] = [];
  const flush = (items: number[]) => new Promise<number[]>((resolve, reject) => { batches.push(items); open.push({ items, resolve, reject }); });
  return { flush, batches, open };
}

async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setImmediate(r));
  }
}

describe('group commit', () => {
  it('writes what arrives during a flush together in the next one, each caller getting its own result', async () => {
    const f = manualFlush();
    const g = new GroupCommit(f.flush);
    const first = g.submit(1);
    await until(() => f.open.length === 1);
    const later = [g.submit(2), g.submit(3)];
    await new Promise((r) => setImmediate(r));
    assert.equal(f.open.length, 1, 'one flush at a time by default');
    f.open[0].resolve([10]);
    assert.equal(await first, 10);
    await until(() => f.open.length === 2);
    assert.deepEqual(f.batches, [[1], [2, 3]]);
    f.open[1].resolve([20, 30]);
    assert.deepEqual(await Promise.all(later), [20, 30]);
    await g.drain();
  });

  it('with room for two flushes in flight, sends the next batch before the first commits', async () => {
    const f = manualFlush();
    const g = new GroupCommit(f.flush, 500, 2);
    const a = g.submit(1);
    await until(() => f.open.length === 1);
    const b = g.submit(2);
    await until(() => f.open.length === 2);
    const c = g.submit(3);
    await new Promise((r) => setImmediate(r));
    assert.equal(f.open.length, 2, 'no third flush while two are in flight');
    f.open[1].resolve([20]);
    f.open[0].resolve([10]);
    assert.deepEqual(await Promise.all([a, b]), [10, 20]);
    await until(() => f.open.length === 3);
    f.open[2].resolve([30]);
    assert.equal(await c, 30);
  });

  it('fails every caller of a batch whose flush failed, and goes on with the next', async () => {
    const f = manualFlush();
    const g = new GroupCommit(f.flush);
    const first = g.submit(1);
    await until(() => f.open.length === 1);
    const failed = [g.submit(2), g.submit(3)];
    f.open[0].resolve([10]);
    await first;
    await until(() => f.open.length === 2);
    f.open[1].reject(new Error('disk full'));
    for (const p of failed) await assert.rejects(p, /disk full/);
    const after = g.submit(4);
    await until(() => f.open.length === 3);
    f.open[2].resolve([40]);
    assert.equal(await after, 40);
  });

  it('drain resolves only once everything submitted so far is written', async () => {
    const f = manualFlush();
    const g = new GroupCommit(f.flush, 2);
    const all = [1, 2, 3].map((n) => g.submit(n));
    let drained = false;
    const d = g.drain().then(() => { drained = true; });
    await until(() => f.open.length === 1);
    assert.deepEqual(f.batches[0], [1, 2], 'at most `max` items per flush');
    f.open[0].resolve([1, 2]);
    await until(() => f.open.length === 2);
    assert.equal(drained, false);
    f.open[1].resolve([3]);
    await d;
    assert.deepEqual(await Promise.all(all), [1, 2, 3]);
  });

  it('with a window, gathers items over many turns into one batch and flushes a full one at once', async () => {
    const f = manualFlush();
    const g = new GroupCommit(f.flush, 3, 1, 60_000);
    const a = g.submit(1);
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(f.open.length, 0, 'a batch that is not full waits for the window');
    const rest = [g.submit(2), g.submit(3)];
    await until(() => f.open.length === 1);
    assert.deepEqual(f.batches[0], [1, 2, 3], 'the full batch went without waiting out the window');
    f.open[0].resolve([1, 2, 3]);
    assert.deepEqual(await Promise.all([a, ...rest]), [1, 2, 3]);
    await g.drain();
  });

  it('with a short window, a lone item is written once the window ends', async () => {
    const f = manualFlush();
    const g = new GroupCommit(f.flush, 500, 1, 5);
    const a = g.submit(7);
    await until(() => f.open.length === 1);
    f.open[0].resolve([70]);
    assert.equal(await a, 70);
  });

  it('gathering: after a quiet spell an item goes at its window; in a steady stream a small batch waits for enough items, or for its longest wait', async () => {
    const f = manualFlush();
    const window = 10;
    const g = new GroupCommit(f.flush, 500, 1, window, { minBatch: 3, maxWaitMs: 200 });
    const first = g.submit(1);
    await until(() => f.open.length === 1);
    f.open[0].resolve([1]);
    await first;
    // The flush just ended: a steady stream. Its window passes (a timer of three windows
    // fires after it) with two items, fewer than minBatch: they wait.
    const more = [g.submit(2), g.submit(3)];
    await new Promise((r) => setTimeout(r, window * 3));
    assert.equal(f.batches.length, 1, 'a small batch in a steady stream waits past its window');
    more.push(g.submit(4));
    await until(() => f.open.length === 2);
    assert.deepEqual(f.batches[1], [2, 3, 4], 'the third item sent it at once');
    f.open[1].resolve([2, 3, 4]);
    await Promise.all(more);
    // Still steady: one item waits for the longest wait, then goes alone.
    const lone = g.submit(5);
    await until(() => f.open.length === 3);
    assert.deepEqual(f.batches[2], [5]);
    f.open[2].resolve([5]);
    assert.equal(await lone, 5);
  });
});
