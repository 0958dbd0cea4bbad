// Alert rules against a real store: an episode notifies once, resolves, and can fire again.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { AlertMonitor } from '../../src/routing/alerts.ts';
import { loadConfig } from '../../src/config.ts';
import { makeSqliteStore, type TestStore } from '../helpers/stores.ts';
import { callbackReceiver } from '../helpers/net.ts';
import { newMessage } from '../helpers/rows.ts';
import { TEST_WEBHOOK_SECRET } from '../helpers/app.ts';

describe('alerts', () => {
  let s: TestStore;
  let receiver: Awaited<ReturnType<typeof callbackReceiver>>;
  before(async () => { s = await makeSqliteStore(); receiver = await callbackReceiver(); });
  after(async () => { await s.dispose(); await receiver.close(); });

  it('a queue older than the limit fires once per episode, to the webhook and as an SMS', async () => {
    const texts: string[] = [];
    const config = loadConfig({}, { alertWebhookUrl: receiver.url, alertQueueAgeSeconds: 60, alertSmsTo: '+14155550123', webhookSecret: TEST_WEBHOOK_SECRET });
    const monitor = new AlertMonitor({ store: s.store, config, logger: pino({ level: 'silent' }), sendSms: async (to, body) => { texts.push(`${to} ${body}`); } });
    const now = Date.now();
    await s.store.insertMessages([newMessage({ next_attempt_at: now - 120_000, created_at: now - 120_000 })]);
    await monitor.check(now);
    await monitor.check(now + 1_000);
    await monitor.check(now + 2_000);
    const firing = receiver.received.map((r) => JSON.parse(r.body));
    assert.deepEqual(firing.map((a) => [a.type, a.data.rule]), [['alert.firing', 'queue_age']]);
    assert.match(firing[0].data.detail, /waited 120 s/);
    assert.equal(texts.length, 1);
    assert.match(texts[0], /^\+14155550123 Switchboard alert queue_age/);
    // The queue drains: the episode resolves (webhook only), and a new one fires again.
    const [m] = await s.store.claimDue('w', now, 30_000, 10);
    await s.store.recordOutcomes([{ messageId: m.id, leaseOwner: 'w', now, attempts: [], parts: [], event: null, callback: null, set: { status: 'sent', attempts: 1, throttled_attempts: 0, next_attempt_at: null } }]);
    await monitor.check(now + 3_000);
    await s.store.insertMessages([newMessage({ next_attempt_at: now - 100_000 })]);
    await monitor.check(now + 4_000);
    assert.deepEqual(receiver.received.map((r) => JSON.parse(r.body).type), ['alert.firing', 'alert.resolved', 'alert.firing']);
    assert.equal(texts.length, 2);
  });
});
