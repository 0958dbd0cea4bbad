// Alert rules against a real store: an episode notifies once, resolves, and can fire again.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { AlertMonitor, AlertNotifier } from '../../src/routing/alerts.ts';
import { DatabaseWatch } from '../../src/services/database-watch.ts';
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

  it('a provider held back for its receipts alerts once per episode and resolves; healthy providers leave no alert behind', async () => {
    const { store, dispose } = await makeSqliteStore();
    const hooks = await callbackReceiver();
    try {
      const config = loadConfig({}, { alertWebhookUrl: hooks.url, webhookSecret: TEST_WEBHOOK_SECRET, receiptSlaMs: 60_000 });
      const logger = pino({ level: 'silent' });
      const demotions = new Map<string, string | null>([['quiet', 'latency'], ['fine', null]]);
      const monitor = new AlertMonitor({ store, config, logger, notifier: new AlertNotifier({ config, logger, sendSms: async () => {} }), demotions: () => [...demotions] });
      await monitor.check();
      await monitor.check();
      demotions.set('quiet', null);
      await monitor.check();
      await monitor.check();
      const got = hooks.received.map((r) => JSON.parse(r.body)).filter((a) => a.data.rule.startsWith('provider_demoted:'));
      assert.deepEqual(got.map((a) => [a.type, a.data.rule]), [['alert.firing', 'provider_demoted:quiet'], ['alert.resolved', 'provider_demoted:quiet']]);
      assert.match(got[0].data.detail, /no receipt after 60 s/);
      assert.ok(!(await store.listAlerts()).some((a) => a.rule === 'provider_demoted:fine'), 'no row for a provider never demoted');
    } finally { await dispose(); await hooks.close(); }
  });

  it('a queue older than the limit fires once per episode, to the webhook and as an SMS', async () => {
    const texts: string[] = [];
    const config = loadConfig({}, { alertWebhookUrl: receiver.url, alertQueueAgeSeconds: 60, alertSmsTo: '+14155550123', webhookSecret: TEST_WEBHOOK_SECRET });
    const logger = pino({ level: 'silent' });
    const notifier = new AlertNotifier({ config, logger, sendSms: async (to, body) => { texts.push(`${to} ${body}`); } });
    const monitor = new AlertMonitor({ store: s.store, config, logger, notifier });
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

  it('messages waiting for a route fire one routes_down alert naming countries, count and providers, resolved when drained', async () => {
    const store = await makeSqliteStore();
    const got = await callbackReceiver();
    try {
      const config = loadConfig({}, { alertWebhookUrl: got.url, alertQueueAgeSeconds: 3_600 });
      const logger = pino({ level: 'silent' });
      const monitor = new AlertMonitor({ store: store.store, config, logger, notifier: new AlertNotifier({ config, logger, sendSms: async () => {} }), downProviders: () => ['twilio-main'] });
      const now = Date.now();
      const waiting = { status: 'queued' as const, error_code: 'route_unavailable', next_attempt_at: now + 30_000 };
      await store.store.insertMessages([newMessage({ country: 'US', ...waiting }), newMessage({ country: 'US', ...waiting }), newMessage({ country: 'GB', ...waiting })]);
      await monitor.check(now);
      await monitor.check(now + 1_000);
      const alerts = () => got.received.map((r) => JSON.parse(r.body)).filter((a) => a.data.rule === 'routes_down');
      assert.deepEqual(alerts().map((a) => a.type), ['alert.firing']);
      assert.equal(alerts()[0].data.detail, '3 messages waiting for a route (GB 1, US 2); not taking traffic: twilio-main');
      // The route is back: they are sent, and the episode resolves.
      for (const m of await store.store.claimDue('w', now + 60_000, 30_000, 10)) {
        await store.store.recordOutcomes([{ messageId: m.id, leaseOwner: 'w', now, attempts: [], parts: [], event: null, callback: null, set: { status: 'sent', attempts: 1, throttled_attempts: 0, next_attempt_at: null, error_code: null } }]);
      }
      await monitor.check(now + 2_000);
      assert.deepEqual(alerts().map((a) => a.type), ['alert.firing', 'alert.resolved']);
    } finally { await store.dispose(); await got.close(); }
  });

  it('a database away longer than the limit fires database_down once (webhook only), resolves when it answers, and the gauge follows', async () => {
    const got = await callbackReceiver();
    try {
      const texts: string[] = [];
      const config = loadConfig({}, { alertWebhookUrl: got.url, alertSmsTo: '+14155550123' });
      const logger = pino({ level: 'silent' });
      // The database seen through its ping: answering, or refusing connections as PostgreSQL away does.
      let away = false;
      const store = { dialect: 'postgres' as const, async ping() { if (away) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }); } };
      const gauge: number[] = [];
      let outages = 0;
      const watch = new DatabaseWatch({
        store, everyMs: 1_000, alertAfterMs: 15_000, logger, notifier: new AlertNotifier({ config, logger, sendSms: async (to, body) => { texts.push(`${to} ${body}`); } }),
        metrics: { up: (up) => gauge.push(up ? 1 : 0), outage: () => { outages++; } },
      });
      const t0 = Date.now();
      await watch.check(t0);
      away = true;
      await watch.check(t0 + 1_000);
      await watch.check(t0 + 10_000);
      assert.equal(got.received.length, 0, 'a blip shorter than the limit alerts nobody');
      await watch.check(t0 + 16_000);
      await watch.check(t0 + 30_000);
      away = false;
      await watch.check(t0 + 31_000);
      const alerts = got.received.map((r) => JSON.parse(r.body));
      assert.deepEqual(alerts.map((a) => [a.type, a.data.rule]), [['alert.firing', 'database_down'], ['alert.resolved', 'database_down']]);
      assert.match(alerts[0].data.detail, /postgres database has been unreachable for 15 s: connect ECONNREFUSED/);
      assert.match(alerts[1].data.detail, /answers again after 30 s/);
      assert.deepEqual(texts, [], 'no SMS: it would be queued in the database that is away');
      assert.deepEqual(gauge, [1, 0, 0, 0, 0, 1]);
      assert.equal(outages, 1, 'one episode');
      // A short blip: counted, not alerted.
      away = true;
      await watch.check(t0 + 40_000);
      away = false;
      await watch.check(t0 + 41_000);
      assert.equal(outages, 2);
      assert.equal(got.received.length, 2);
    } finally { await got.close(); }
  });
});
