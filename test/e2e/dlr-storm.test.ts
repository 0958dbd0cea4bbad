// A receipt storm: a provider back from an outage posts its receipts all at once, out of
// order and some twice. What a user relies on: every signed receipt is answered 200 only
// once it is stored raw, none is lost, each message ends delivered once (a late `sent`
// never moves it back), the backlog shows in a metric and drains, and intake keeps
// accepting meanwhile. (Throughput and intake latency under 100,000 receipts are
// measured by `npm run bench`, not here.)
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, eventually } from '../helpers/app.ts';
import { freePort } from '../helpers/net.ts';
import { TwilioFake, FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN } from '../../src/sandbox/twilio.ts';
import { twilioSignature } from '../../src/providers/twilio/signature.ts';

const TOKEN_ENV = 'TWILIO_STORM_TOKEN';
const MESSAGES = 300;

describe('a receipt storm', () => {
  it(`${MESSAGES * 3} signed receipts at once, shuffled and duplicated: all stored, all applied forward only, intake unaffected`, async () => {
    process.env[TOKEN_ENV] = FAKE_AUTH_TOKEN;
    const port = await freePort();
    const t = await startApp({ port, publicUrl: `http://127.0.0.1:${port}` });
    const fake = await new TwilioFake().start();
    fake.plan = { statuses: [], delayMs: 5 }; // the provider is silent: its receipts come in the storm
    try {
      const p = await t.call('POST', '/v1/providers', { id: 'storm', kind: 'twilio', prices: { US: '0.0079' }, config: { account_sid: FAKE_ACCOUNT_SID, auth_token_env: TOKEN_ENV, base_url: fake.url, from: '+14155550600' } });
      assert.equal(p.status, 201, JSON.stringify(p.body));
      const ids: string[] = [];
      for (let i = 0; i < MESSAGES; i += 50) {
        ids.push(...await Promise.all(Array.from({ length: Math.min(50, MESSAGES - i) }, async (_, j) => (await t.call('POST', '/v1/messages', { to: `+1415557${String(i + j).padStart(4, '0')}`, body: `storm ${i + j}` })).body.id as string)));
      }
      const sent = await eventually(async () => { const r = await t.app.ctx.store.getMessages(ids); return r.every((m) => m.status === 'sent') && r; }, 30_000, 'every message sent');

      // Per message: sent, delivered, and delivered again; all shuffled.
      const url = `http://127.0.0.1:${port}/webhooks/storm/status`;
      const receipts = sent.flatMap((m) => ['sent', 'delivered', 'delivered'].map((status) => ({
        MessageSid: m.provider_message_id!, MessageStatus: status, SmsStatus: status, AccountSid: FAKE_ACCOUNT_SID, To: m.to_number, From: '+14155550600', ApiVersion: '2010-04-01',
      })));
      for (let i = receipts.length - 1; i > 0; i--) { const j = Math.floor(Math.random() * (i + 1)); [receipts[i], receipts[j]] = [receipts[j], receipts[i]]; }
      const answers: number[] = [];
      let next = 0;
      const storm = Promise.all(Array.from({ length: 32 }, async () => {
        while (next < receipts.length) {
          const params = receipts[next++];
          const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(FAKE_AUTH_TOKEN, url, params) }, body: new URLSearchParams(params).toString() });
          await res.arrayBuffer();
          answers.push(res.status);
        }
      }));
      // Intake during the storm.
      const during: number[] = [];
      const intake = (async () => {
        for (let i = 0; i < 30; i++) during.push((await t.call('POST', '/v1/messages', { to: '+14155550100', body: `during the storm ${i}` })).status);
      })();
      await Promise.all([storm, intake]);
      assert.equal(answers.length, receipts.length);
      assert.deepEqual([...new Set(answers)], [200], 'every receipt answered 200 (once stored)');
      assert.deepEqual([...new Set(during)], [202], 'intake accepted every message during the storm');
      const stored = await t.app.ctx.store.listWebhooks({ providerId: 'storm' });
      assert.equal(stored.filter((w) => w.kind === 'status').length, receipts.length, 'each receipt stored raw, none lost');

      const metric = async () => Number(/^switchboard_webhooks_backlog (\d+)/m.exec(await t.app.ctx.metrics.registry.metrics())?.[1]);
      await eventually(async () => (await metric()) === 0, 60_000, 'the backlog to drain');
      const rows = await t.app.ctx.store.getMessages(ids);
      assert.deepEqual([...new Set(rows.map((m) => m.status))], ['delivered'], 'a late `sent` never moved one back');
      for (const id of ids) {
        // Every receipt kept, in the order it came, whatever it changed.
        const events = (await t.app.ctx.store.listEvents(id)).filter((e) => e.type === 'receipt');
        assert.deepEqual(events.map((e) => e.provider_status).sort(), ['delivered', 'delivered', 'sent'], id);
      }
      const finals = Number(/^switchboard_messages_final_total\{status="delivered"\} (\d+)/m.exec(await t.app.ctx.metrics.registry.metrics())?.[1]);
      assert.ok(finals >= MESSAGES && finals <= MESSAGES + 30, `each delivered counted once (${finals})`);
    } finally {
      await t.stop();
      await fake.stop();
      delete process.env[TOKEN_ENV];
    }
  });
});
