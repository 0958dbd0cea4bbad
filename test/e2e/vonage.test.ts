// Vonage end to end, and mixed routing: a Twilio primary and a Vonage backup behind one
// API, each against its loopback fake, over real HTTP with signed webhooks both ways.
// A long UCS-2 text goes out through Vonage in 6 parts whose receipts come back shuffled
// and duplicated; the message is delivered (and announced) once, or undelivered with the
// failing part's error. Runs on SQLite and PostgreSQL.
import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startApp, type TestApp } from '../helpers/app.ts';
import { callbackReceiver, freePort } from '../helpers/net.ts';
import { makePostgresStore, testSchema, type TestStore } from '../helpers/stores.ts';
import { pgSkip, TEST_DATABASE_URL } from '../helpers/env.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { VonageFake, FAKE_VONAGE_KEY, FAKE_VONAGE_SECRET, FAKE_VONAGE_SIGNATURE_SECRET } from '../../src/sandbox/vonage.ts';
import { TwilioFake, FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN } from '../../src/sandbox/twilio.ts';
import { SinchFake, FAKE_SINCH_PLAN, FAKE_SINCH_TOKEN, FAKE_SINCH_CALLBACK_USER, FAKE_SINCH_CALLBACK_PASSWORD } from '../../src/sandbox/sinch.ts';
import { AwsFake, FAKE_AWS_KEY_ID, FAKE_AWS_REGION, FAKE_TOPIC_ARN, FAKE_AWS_SECRET } from '../../src/sandbox/aws.ts';

const ENV = {
  VONAGE_E2E_SECRET: FAKE_VONAGE_SECRET, VONAGE_E2E_SIGNATURE: FAKE_VONAGE_SIGNATURE_SECRET, TWILIO_E2E_VONAGE_TOKEN: FAKE_AUTH_TOKEN,
  SINCH_E2E_MIXED_TOKEN: FAKE_SINCH_TOKEN, SINCH_E2E_MIXED_CALLBACK: FAKE_SINCH_CALLBACK_PASSWORD, AWS_E2E_MIXED_KEY_ID: FAKE_AWS_KEY_ID, AWS_E2E_MIXED_SECRET: FAKE_AWS_SECRET,
};
const LONG_UCS2 = 'Ваш заказ готов к выдаче. '.repeat(16).slice(0, 400);

function suite(name: string, opts: { skip?: string | false; postgres?: boolean }) {
  describe(`Vonage and mixed routing end to end (${name})`, { skip: opts.skip }, () => {
    let vonage: VonageFake;
    let twilio: TwilioFake;
    let sinch: SinchFake;
    let aws: AwsFake;
    let t: TestApp;
    let pg: TestStore | undefined;
    let receiver: Awaited<ReturnType<typeof callbackReceiver>>;

    before(async () => {
      Object.assign(process.env, ENV);
      vonage = await new VonageFake().start();
      twilio = await new TwilioFake().start();
      sinch = await new SinchFake().start();
      aws = await new AwsFake().start();
      receiver = await callbackReceiver();
      const schema = testSchema();
      pg = opts.postgres ? await makePostgresStore(schema) : undefined;
      const port = await freePort();
      t = await startApp({ port, publicUrl: `http://127.0.0.1:${port}`, callbackAllowlist: ['127.0.0.1'] }, { store: pg ? new PostgresStore(TEST_DATABASE_URL, { schema, max: 4 }) : undefined });
      const records = [
        { id: 'twilio-main', kind: 'twilio', priority: 1, prices: { US: '0.0079' }, config: { account_sid: FAKE_ACCOUNT_SID, auth_token_env: 'TWILIO_E2E_VONAGE_TOKEN', base_url: twilio.url, from: '+14155550199' } },
        { id: 'vonage-main', kind: 'vonage', priority: 2, prices: { US: '0.0090' }, config: { api_key: FAKE_VONAGE_KEY, api_secret_env: 'VONAGE_E2E_SECRET', signature_secret_env: 'VONAGE_E2E_SIGNATURE', base_url: vonage.url, from: '+14155550188' } },
        { id: 'sinch-main', kind: 'sinch', priority: 3, prices: { US: '0.0095' }, config: { service_plan_id: FAKE_SINCH_PLAN, api_token_env: 'SINCH_E2E_MIXED_TOKEN', callback_username: FAKE_SINCH_CALLBACK_USER, callback_password_env: 'SINCH_E2E_MIXED_CALLBACK', base_url: sinch.url, from: '+14155550177' } },
        { id: 'aws-main', kind: 'aws', priority: 4, prices: { US: '0.0099' }, config: { region: FAKE_AWS_REGION, endpoint: aws.url, access_key_id_env: 'AWS_E2E_MIXED_KEY_ID', secret_access_key_env: 'AWS_E2E_MIXED_SECRET', topic_arn: FAKE_TOPIC_ARN, from: '+14155550166' } },
      ];
      for (const r of records) assert.equal((await t.call('POST', '/v1/providers', r)).status, 201);
    });
    after(async () => {
      await t?.stop(); await pg?.dispose(); await vonage?.stop(); await twilio?.stop(); await sinch?.stop(); await aws?.stop(); await receiver?.close();
      for (const k of Object.keys(ENV)) delete process.env[k];
    });
    beforeEach(() => {
      twilio.outage = null; twilio.plan = { statuses: ['sent', 'delivered'], delayMs: 5 };
      vonage.behaviours.length = 0; sinch.behaviours.length = 0;
    });

    const get = async (id: string) => (await t.call('GET', `/v1/messages/${id}`)).body;
    const settled = (id: string, parts: number) => eventually(async () => {
      const m = await get(id);
      return m.final_at && m.parts.length === parts && m.parts.every((p: { status: string }) => p.status !== 'sent') && m;
    }, 15_000, `${id} and its ${parts} parts to settle`);

    it('the cheaper Twilio carries a message while it is up', async () => {
      const r = await t.call('POST', '/v1/messages?wait=5', { to: '+14155550100', body: 'hello' });
      assert.equal(r.body.provider, 'twilio-main');
      assert.equal(r.body.price, '0.0079');
    });

    it('a 400-character UCS-2 text goes out through Vonage in 6 parts; shuffled and duplicated receipts deliver it once', async () => {
      twilio.outage = { kind: 'error', status: 503, code: 20500 };
      vonage.plan = { status: 'delivered', delayMs: 3, shuffle: true, duplicate: 2 };
      const r = await t.call('POST', '/v1/messages?wait=5', { to: '+14155550100', body: LONG_UCS2, callback_url: receiver.url });
      assert.equal(r.body.encoding, 'UCS-2');
      assert.equal(r.body.segments, 6);
      assert.equal(r.body.provider, 'vonage-main', 'failed over from Twilio at once');
      assert.deepEqual(r.body.attempts.map((a: { provider: string; outcome: string }) => [a.provider, a.outcome]), [['twilio-main', 'transient'], ['vonage-main', 'sent']]);
      const m = await settled(r.body.id, 6);
      assert.equal(m.status, 'delivered');
      const sent = vonage.requests.at(-1)!;
      assert.equal(sent.params.get('type'), 'unicode');
      assert.equal(sent.params.get('client-ref'), r.body.id);
      assert.deepEqual(m.parts.map((p: { provider_message_id: string }) => p.provider_message_id), sent.ids);
      const all = await eventually(async () => { const x = await get(r.body.id); return x.events.length >= 7 && x; }, 10_000, 'all seven receipts');
      assert.equal(all.events.length, 7, 'every receipt is kept, the duplicate too');
      assert.equal(all.status, 'delivered');
      const delivered = await eventually(async () => {
        const got = receiver.received.map((x) => JSON.parse(x.body).data).filter((d) => d.id === r.body.id);
        return got.some((d) => d.status === 'delivered') && got;
      }, 10_000, 'the delivered callback');
      assert.equal(delivered.filter((d) => d.status === 'delivered').length, 1, 'announced once');
    });

    it('with part 4 failed, the message ends undelivered with that part\'s error', async () => {
      twilio.outage = { kind: 'error', status: 503, code: 20500 };
      vonage.plan = { status: 'delivered', delayMs: 3, shuffle: true, failPart: 3, errCode: '6' };
      const r = await t.call('POST', '/v1/messages', { to: '+14155550100', body: LONG_UCS2 });
      const m = await settled(r.body.id, 6);
      assert.equal(m.status, 'undelivered');
      assert.deepEqual([m.error.code, m.error.provider_code], ['blocked', '6']);
      assert.deepEqual(m.parts.map((p: { status: string }) => p.status), ['delivered', 'delivered', 'delivered', 'failed', 'delivered', 'delivered']);
    });

    it('fails over through all four kinds until one takes the message, and shows each provider in /v1/status and the metrics', async () => {
      twilio.outage = { kind: 'error', status: 503, code: 20500 };
      for (let i = 0; i < 6; i++) {
        vonage.behaviours.push({ kind: 'status', status: '5' });
        sinch.behaviours.push({ kind: 'error', status: 503, code: 'service_unavailable' });
      }
      const r = await t.call('POST', '/notify/sms', { to: '+14155550100', body: 'whoever can carry it' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body.path, { provider: 'aws-main', from: '+14155550166', failover: true });
      const failed = new Set(r.body.attempts.filter((a: { outcome: string }) => a.outcome !== 'sent').map((a: { provider: string }) => a.provider));
      assert.deepEqual([...failed].sort(), ['sinch-main', 'twilio-main', 'vonage-main'], 'every other kind was tried and failed');
      const status = await t.call('GET', '/v1/status');
      const byId = Object.fromEntries(status.body.providers.map((p: { id: string }) => [p.id, p]));
      assert.deepEqual(['twilio-main', 'vonage-main', 'sinch-main', 'aws-main'].map((id) => byId[id]?.kind), ['twilio', 'vonage', 'sinch', 'aws']);
      assert.ok(byId['aws-main'].window.sends >= 1 && byId['sinch-main'].window.errors >= 1 && byId['vonage-main'].window.errors >= 1);
      const metrics = (await t.call('GET', '/metrics')).body as string;
      for (const id of ['twilio-main', 'vonage-main', 'sinch-main', 'aws-main']) assert.match(metrics, new RegExp(`switchboard_send_attempts_total\\{provider="${id}"`));
    });

    it('joins a long inbound text that arrives in parts, out of order and with a part repeated, into one message', async () => {
      const parts = ['This is a long reply that the carrier ', 'split into three parts, which arrive ', 'in any order.'];
      const statuses = await vonage.sendInboundParts(`${t.url}/webhooks/vonage-main/inbound`, { from: '+447700900001', to: '+14155550188', parts, order: [2, 0, 0, 1] });
      assert.deepEqual(statuses, [200, 200, 200, 200]);
      const found = await eventually(async () => {
        const list = (await t.call('GET', '/v1/inbound')).body.data.filter((m: { from: string }) => m.from === '+447700900001');
        return list.length > 0 && list;
      }, 10_000, 'the joined inbound text');
      assert.deepEqual(found.map((m: { body: string }) => m.body), [parts.join('')], 'one message, in part order');
    });

    it('refuses a forged or unsigned Vonage receipt and stores nothing', async () => {
      const url = `${t.url}/webhooks/vonage-main/status`;
      const { headers, body } = vonage.receipt('0A00000000000001', 'delivered');
      const forged = body.replace('"delivered"', '"failed"');
      const before = (await t.app.ctx.store.listWebhooks({ providerId: 'vonage-main' })).length;
      assert.equal((await fetch(url, { method: 'POST', headers, body: forged })).status, 403);
      const { sig: _sig, ...unsigned } = JSON.parse(body);
      assert.equal((await fetch(url, { method: 'POST', headers, body: JSON.stringify(unsigned) })).status, 403);
      assert.equal((await fetch(`${url}?${new URLSearchParams(unsigned)}`)).status, 403, 'a GET without sig');
      assert.equal((await t.app.ctx.store.listWebhooks({ providerId: 'vonage-main' })).length, before);
      assert.equal((await fetch(url, { method: 'POST', headers, body })).status, 200, 'the genuine one is taken');
    });

    it('takes a receipt as a signed GET, as a Vonage account may be set up to send', async () => {
      twilio.outage = { kind: 'error', status: 503, code: 20500 };
      vonage.plan = { status: 'delivered', delayMs: 3, lost: true };
      const r = await t.call('POST', '/v1/messages?wait=5', { to: '+14155550100', body: 'short', from: '+14155550188' });
      assert.equal(r.body.provider, 'vonage-main', JSON.stringify(r.body));
      const { body } = vonage.receipt(vonage.requests.at(-1)!.ids[0], 'delivered');
      const res = await fetch(`${t.url}/webhooks/vonage-main/status?${new URLSearchParams(JSON.parse(body))}`);
      assert.equal(res.status, 200);
      const m = await settled(r.body.id, 1);
      assert.equal(m.status, 'delivered');
    });
  });
}

suite('SQLite', {});
suite('PostgreSQL', { skip: pgSkip, postgres: true });
