// Inbound texts reach the application: a number's inbound_url gets every text it receives
// as a signed `message.inbound` webhook, through the durable, retried callback queue, after
// a keyword (STOP) has taken effect; the URL is checked like any callback URL, and an
// account's admin sets it on its own numbers only.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { eventually, type TestApp } from '../helpers/app.ts';
import { startInboundRig, type InboundRig } from '../helpers/inbound.ts';
import { callbackReceiver } from '../helpers/net.ts';
import type { TwilioFake } from '../../src/sandbox/twilio.ts';

const TOKEN_ENV = 'TWILIO_TEST_INBOUND_HOOK_TOKEN';
const BUSINESS = '+14155550177';
const OTHER = '+14155550178';
const CUSTOMER = '+14155550111';

describe('inbound webhooks', () => {
  let rig: InboundRig;
  let t: TestApp;
  let fake: TwilioFake;
  let inboundUrl: string;
  let sid = 0;
  const text = (from: string, to: string, body: string) => fake.sendInbound(inboundUrl, { From: from, To: to, Body: body, MessageSid: `SM${String(++sid).padStart(32, '7')}` });

  before(async () => {
    // The receivers listen on loopback, which callbacks may reach only when allowed.
    rig = await startInboundRig(TOKEN_ENV, { callbackAllowlist: ['127.0.0.1'] });
    ({ t, fake, inboundUrl } = rig);
  });
  after(() => rig.stop());

  it('posts each text to its number\'s inbound_url, signed with the secret of the key that set it, and retries a 500', async () => {
    const key = (await t.call('POST', '/v1/keys', { name: 'acme-admin', account_id: 'acme', scopes: ['admin'] })).body;
    const auth = { authorization: `Bearer ${key.secret}` };
    // The operator adds the number to acme's account; acme's admin points it at its application.
    assert.equal((await t.call('POST', '/v1/numbers', { number: BUSINESS, provider_id: 'twilio-main', account_id: 'acme' })).status, 201);
    let calls = 0;
    const app = await callbackReceiver(() => (++calls === 1 ? 500 : 200));
    try {
      const set = await t.call('POST', '/v1/numbers', { number: BUSINESS, provider_id: 'twilio-main', inbound_url: app.url }, auth);
      assert.equal(set.status, 201, JSON.stringify(set.body));
      assert.equal(set.body.inbound_url, app.url);
      assert.equal((await text(CUSTOMER, BUSINESS, 'Is my order ready?')).status, 200);
      const got = await eventually(async () => app.received.length >= 2 && app.received, 15_000, 'the webhook, retried after the 500');
      const [first, second] = got;
      assert.equal(first.headers['webhook-id'], second.headers['webhook-id'], 'the retry is the same webhook');
      const payload = new Webhook(key.webhook_secret).verify(second.body, second.headers as Record<string, string>) as { type: string; data: Record<string, string> };
      assert.equal(payload.type, 'message.inbound');
      assert.deepEqual([payload.data.from, payload.data.to, payload.data.body], [CUSTOMER, BUSINESS, 'Is my order ready?']);
      // The text shows its webhook and both delivery attempts.
      const shown = await eventually(async () => {
        const m = (await t.call('GET', `/v1/inbound/${payload.data.id}`, undefined, auth)).body;
        return m.callbacks?.[0]?.status === 'delivered' && m;
      }, 10_000, 'the webhook recorded as delivered');
      assert.deepEqual(shown.callbacks[0].deliveries.map((d: { status_code: number }) => d.status_code), [500, 200]);
      // Another account sees neither the text nor its webhooks.
      assert.equal((await t.call('GET', `/v1/inbound/${payload.data.id}`, undefined, { authorization: `Bearer ${(await t.call('POST', '/v1/keys', { name: 'other', account_id: 'other', scopes: ['read'] })).body.secret}` })).status, 404);
    } finally {
      await app.close();
    }
  });

  it('a STOP is posted too, with the consent change it made, after it took effect; a replayed webhook posts nothing twice', async () => {
    const app = await callbackReceiver();
    try {
      assert.equal((await t.call('POST', '/v1/numbers', { number: OTHER, provider_id: 'twilio-main', inbound_url: app.url })).status, 201);
      const stop = { From: CUSTOMER, To: OTHER, Body: 'STOP', MessageSid: `SM${'8'.repeat(32)}` };
      assert.equal((await fake.sendInbound(inboundUrl, stop)).status, 200);
      const hooks = await eventually(async () => app.received.length >= 2 && app.received, 10_000, 'the STOP and its consent change posted');
      const byType = new Map(hooks.map((x) => [JSON.parse(x.body).type as string, x]));
      const hook = byType.get('message.inbound')!;
      assert.equal(JSON.parse(hook.body).data.body, 'STOP');
      const consent = JSON.parse(byType.get('consent.opt_out')!.body).data;
      assert.deepEqual([consent.number, consent.scope, consent.business_number], [CUSTOMER, 'account', OTHER]);
      // By the time the application hears of it, the opt-out holds.
      assert.ok((await t.call('GET', '/v1/opt-outs')).body.data.some((o: { number: string }) => o.number === CUSTOMER));
      // The provider sends the same webhook again: stored again, applied again, posted once.
      assert.equal((await fake.sendInbound(inboundUrl, stop)).status, 200);
      await eventually(async () => (await t.ctx().store.webhookBacklog(Date.now())).count === 0, 10_000, 'the replay applied');
      const callbacks = await t.ctx().store.listCallbacks(JSON.parse(hook.body).data.id);
      assert.deepEqual(callbacks.map((c) => c.type).sort(), ['consent.opt_out', 'message.inbound'], 'one of each for one text');
      // The event stream has the text and the consent change once each, replay or not.
      const feed = (await t.call('GET', '/v1/events?types=inbound.received,consent.opt_out&limit=200')).body.data as { type: string; subject: string; data: any }[];
      const inbound = JSON.parse(hook.body).data.id;
      assert.deepEqual(feed.filter((e) => e.subject === inbound).map((e) => e.type), ['switchboard.inbound.received']);
      const optOut = feed.filter((e) => e.type === 'switchboard.consent.opt_out' && e.data.via.id === inbound);
      assert.deepEqual(optOut.map((e) => [e.subject, e.data.number]), [[CUSTOMER, CUSTOMER]]);
    } finally {
      await app.close();
    }
  });

  it('refuses an inbound_url at a private address, and another account\'s number', async () => {
    const bad = await t.call('POST', '/v1/numbers', { number: OTHER, provider_id: 'twilio-main', inbound_url: 'http://10.0.0.5/hooks' });
    assert.equal(bad.status, 400);
    assert.deepEqual([bad.body.error.code, bad.body.error.field], ['invalid_callback_url', 'inbound_url']);
    const stranger = (await t.call('POST', '/v1/keys', { name: 'stranger', account_id: 'stranger', scopes: ['admin'] })).body.secret;
    const theirs = await t.call('POST', '/v1/numbers', { number: BUSINESS, provider_id: 'twilio-main', inbound_url: 'https://example.com/steal' }, { authorization: `Bearer ${stranger}` });
    assert.equal(theirs.status, 403);
    assert.notEqual((await t.call('GET', `/v1/numbers/${encodeURIComponent(BUSINESS)}`)).body.inbound_url, 'https://example.com/steal');
  });

  it('links a reply to the message that prompted it, keeps the pair in one conversation, and sends on it from the same number', async () => {
    const business = '+14155550179';
    const customer = '+14155550112';
    for (const number of [business, '+14155550180']) assert.equal((await t.call('POST', '/v1/numbers', { number, provider_id: 'twilio-main', rate_per_second: 100 })).status, 201);
    const reminder = await t.call('POST', '/v1/messages?wait=10', { to: customer, from: business, body: 'Reminder: your appointment is tomorrow at 10' });
    assert.ok(['sent', 'delivered'].includes(reminder.body.status), JSON.stringify(reminder.body));
    assert.equal((await text(customer, business, 'Can we make it 11?')).status, 200);
    const reply = await eventually(async () => (await t.call('GET', '/v1/inbound')).body.data.find((m: { body: string }) => m.body === 'Can we make it 11?'), 10_000, 'the reply stored');
    assert.equal(reply.in_reply_to, reminder.body.id);
    assert.match(reply.conversation_id, /^cnv_/);
    // Answered on the conversation: to the customer, from the number they texted.
    const answer = await t.call('POST', '/v1/messages', { conversation_id: reply.conversation_id, body: '11 works, see you then' });
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    assert.deepEqual([answer.body.to, answer.body.from, answer.body.conversation_id], [customer, business, reply.conversation_id]);
    const c = (await t.call('GET', `/v1/conversations/${reply.conversation_id}`)).body;
    assert.deepEqual([c.business_number, c.customer_number], [business, customer]);
    assert.deepEqual(c.texts.map((x: { direction: string; body: string }) => `${x.direction}: ${x.body}`), [
      'outbound: Reminder: your appointment is tomorrow at 10', 'inbound: Can we make it 11?', 'outbound: 11 works, see you then',
    ]);
    // Another account sees no such conversation, and cannot send on it.
    const other = { authorization: `Bearer ${(await t.call('POST', '/v1/keys', { name: 'nosy', account_id: 'nosy', scopes: ['send', 'read'] })).body.secret}` };
    assert.equal((await t.call('GET', `/v1/conversations/${reply.conversation_id}`, undefined, other)).status, 404);
    const theirs = await t.call('POST', '/v1/messages', { conversation_id: reply.conversation_id, body: 'hi' }, other);
    assert.deepEqual([theirs.status, theirs.body.error.field], [404, 'conversation_id']);
    const noTo = await t.call('POST', '/v1/messages', { body: 'to whom?' });
    assert.deepEqual([noTo.status, noTo.body.error.field], [400, 'to']);
  });
});
