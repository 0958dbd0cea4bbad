// Receipt latency shared through Redis (real Redis): the process that sent and the one
// that applied the receipts are not the same, as with several workers; both judge the
// provider by everyone's sends and receipts, each receipt counted at its send's time.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { Health } from '../../src/routing/health.ts';
import { SharedHealth } from '../../src/routing/shared-health.ts';
import { redisSkip, TEST_REDIS_URL } from '../helpers/env.ts';

describe('receipt latency across processes', { skip: redisSkip }, () => {
  it('sends counted in one process and receipts in another: both see most overdue, then none', async () => {
    const prefix = `test:${randomBytes(4).toString('hex')}:`;
    const opts = { windowMs: 30_000, threshold: 0.5, minSamples: 10, openMs: 30_000, receiptSlaMs: 1_000 };
    const [sender, applier] = [new Health(opts), new Health(opts)];
    const shares = [sender, applier].map((health) => new SharedHealth({
      health, redisUrl: TEST_REDIS_URL, prefix, windowMs: opts.windowMs, openMs: opts.openMs, syncMs: 60_000, providers: () => ['p'], logger: pino({ level: 'silent' }),
    }));
    try {
      for (const s of shares) await s.start();
      const sentAt = Date.now() - 5_000; // due a while ago
      for (let i = 0; i < 20; i++) sender.record('p', true, sentAt);
      for (let i = 0; i < 5; i++) applier.recordReceipt('p', true, Date.now(), sentAt);
      for (const s of shares) await s.sync();
      for (const s of shares) await s.sync();
      assert.equal(sender.view('p', Date.now()).demoted, 'latency', 'the sender: 15 of 20 overdue, though it applied no receipt');
      assert.equal(applier.view('p', Date.now()).demoted, 'latency', 'the applier: though it sent nothing');
      for (let i = 0; i < 15; i++) applier.recordReceipt('p', true, Date.now(), sentAt);
      for (const s of shares) await s.sync();
      for (const s of shares) await s.sync();
      assert.equal(sender.view('p', Date.now()).demoted, null);
      assert.equal(applier.view('p', Date.now()).demoted, null);
    } finally {
      for (const s of shares) await s.close();
    }
  });
});
