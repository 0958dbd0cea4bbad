// Twilio end to end over real HTTP: Switchboard on a loopback port, the Twilio fake as
// the provider, a caller's callback receiver verifying Standard Webhooks signatures with
// the reference library.
import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { startApp, eventually, type TestApp } from '../helpers/app.ts';
import { callbackReceiver, freePort } from '../helpers/net.ts';
import { TwilioFake, FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN } from '../../src/sandbox/twilio.ts';
import { twilioSignature } from '../../src/providers/twilio/signature.ts';
import { replayWebhooks } from '../../src/webhooks/replay.ts';

const TOKEN_ENV = 'TWILIO_TEST_TWILIO_TOKEN';

describe('Twilio end to end', () => {
  let fake: TwilioFake;
  let t: TestApp;
  let receiver: Awaited<ReturnType<typeof callbackReceiver>>;
  let key: { secret: string; webhook_secret: string };
  const as = () => ({ authorization: `Bearer ${key.secret}` });

  before(async () => {
    process.env[TOKEN_ENV] = FAKE_AUTH_TOKEN;
    fake = await new TwilioFake().start();
    receiver = await callbackReceiver();
    const port = await freePort();
    t = await startApp({ port, publicUrl: `http://127.0.0.1:${port}`, callbackAllowlist: ['127.0.0.1'], maxAttempts: 3 });
    const p = await t.call('POST', '/v1/providers', {
      id: 'twilio-main', kind: 'twilio', priority: 1, prices: { US: '0.0079', '*': '0.05' },
      config: { account_sid: FAKE_ACCOUNT_SID, auth_token_env: TOKEN_ENV, base_url: fake.url, from: '+14155550199' },
    });
    assert.equal(p.status, 201, JSON.stringify(p.body));
    key = (await t.call('POST', '/v1/keys', { name: 'app', scopes: ['send', 'read'] })).body;
  });
  after(async () => { await t.stop(); await fake.stop(); await receiver.close(); delete process.env[TOKEN_ENV]; });
  beforeEach(() => { fake.behaviours.length = 0; fake.plan = { statuses: ['sent', 'delivered'], delayMs: 5 }; });

  const get = async (id: string) => (await t.call('GET', `/v1/messages/${id}`, undefined, as())).body;
  const until = (id: string, s: string) => eventually(async () => { const m = await get(id); return m.status === s && m; }, 10_000, `${id} to be ${s}`);
  const send = (body: Record<string, unknown>) => t.call('POST', '/v1/messages', { to: '+14155550100', body: 'Order 42 is on its way', ...body }, as());

  it('sends through Twilio, applies its signed callbacks, and signs the caller\'s callbacks', async () => {
    const r = await send({ callback_url: receiver.url });
    assert.equal(r.status, 202);
    assert.equal(r.body.price, '0.0079');
    const m = await until(r.body.id, 'delivered');
    const req = fake.requests.find((q) => q.sid === m.provider_message_id)!;
    assert.equal(req.form.get('To'), '+14155550100');
    assert.equal(req.form.get('From'), '+14155550199');
    assert.equal(req.form.get('StatusCallback'), `${t.config.publicUrl}/webhooks/twilio-main/status`);
    assert.deepEqual(m.events.map((e: { provider_status: string }) => e.provider_status), ['sent', 'delivered']);
    const mine = await eventually(async () => {
      const got = receiver.received.filter((x) => JSON.parse(x.body).data.id === r.body.id);
      return got.length >= 2 && got;
    }, 10_000, 'two callbacks');
    const wh = new Webhook(key.webhook_secret);
    const statuses = mine.map((x) => (wh.verify(x.body, x.headers as Record<string, string>) as { data: { status: string } }).data.status);
    assert.deepEqual(statuses.sort(), ['delivered', 'sent']);
    const forged = { ...mine[0].headers, 'webhook-signature': 'v1,AAAA' } as unknown as Record<string, string>;
    assert.throws(() => wh.verify(mine[0].body, forged));
    // The message's callbacks, as the dashboard shows them: each delivered, with its attempt.
    const cbs = await eventually(async () => {
      const list = (await t.call('GET', `/v1/messages/${r.body.id}/callbacks`)).body.data as { type: string; status: string; deliveries: { status_code: number }[] }[];
      return list.length === 2 && list.every((c) => c.status === 'delivered') && list;
    }, 10_000, 'both callbacks recorded as delivered');
    assert.deepEqual(cbs.map((c) => c.deliveries.map((d) => d.status_code)), [[200], [200]]);
    assert.deepEqual(cbs.map((c) => c.type), ['message.status', 'message.status']);
  });

  it('rejects a status callback with a tampered body or signature (403) and changes nothing', async () => {
    fake.plan = { statuses: [], delayMs: 0 };
    const r = await send({});
    const m = await until(r.body.id, 'sent');
    const url = `${t.config.publicUrl}/webhooks/twilio-main/status`;
    const params = { MessageSid: m.provider_message_id, MessageStatus: 'delivered', AccountSid: FAKE_ACCOUNT_SID };
    const good = twilioSignature(FAKE_AUTH_TOKEN, url, params);
    const stored = async () => (await t.ctx().store.listWebhooks({ providerId: 'twilio-main', newest: 1000 })).length;
    const before = await stored();
    const post = (body: Record<string, string>, sig?: string) => fetch(url, {
      method: 'POST', body: new URLSearchParams(body).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(sig ? { 'x-twilio-signature': sig } : {}) },
    });
    const tampered = await post({ ...params, MessageStatus: 'undelivered' }, good);
    assert.equal(tampered.status, 403);
    assert.equal(((await tampered.json()) as { error: { code: string } }).error.code, 'invalid_signature');
    assert.equal((await post(params, 'AAAA')).status, 403);
    assert.equal((await post(params)).status, 403);
    // Refused before it was stored: nothing can apply it later.
    assert.equal(await stored(), before, 'a refused webhook is not stored');
    const after = await get(r.body.id);
    assert.equal(after.status, 'sent');
    assert.equal(after.events.length, 0);
    assert.equal((await post(params, good)).status, 200);
    await until(r.body.id, 'delivered');
  });

  it('late, duplicate and out-of-order receipts never move a message backwards', async () => {
    fake.plan = { statuses: ['delivered', 'sent', 'queued'], delayMs: 10, duplicate: true };
    const r = await send({});
    const m = await until(r.body.id, 'delivered');
    await eventually(async () => fake.callbacksSent.filter((c) => c.params.MessageSid === m.provider_message_id).length === 6, 5000, 'all callbacks');
    // Every receipt applied first (each is an event), then the status read.
    const final = await eventually(async () => { const x = await get(r.body.id); return x.events.length === 6 && x; }, 10_000, 'every receipt, duplicates too, kept');
    assert.equal(final.status, 'delivered');
  });

  it('throttled, then sent', async () => {
    fake.behaviours.push({ kind: 'error', status: 429, code: 20429, message: 'Too Many Requests', retryAfter: '0' });
    const r = await send({});
    const m = await until(r.body.id, 'delivered');
    assert.deepEqual(m.attempts.map((a: { outcome: string }) => a.outcome), ['throttled', 'sent']);
  });

  it('transient failure, then sent', async () => {
    fake.behaviours.push({ kind: 'error', status: 500, code: 20500, message: 'Internal Server Error' });
    const r = await send({});
    const m = await until(r.body.id, 'delivered');
    assert.deepEqual(m.attempts.map((a: { outcome: string }) => a.outcome), ['transient', 'sent']);
    assert.deepEqual([m.attempts[0].error.code, m.attempts[0].error.provider_code], ['provider_error', '20500']);
  });

  it('a permanent error fails the message with the catalog code and Twilio\'s', async () => {
    fake.behaviours.push({ kind: 'error', status: 400, code: 21610, message: 'Attempt to send to unsubscribed recipient' });
    const r = await t.call('POST', '/v1/messages?wait=5', { to: '+14155550100', body: 'hi' }, as());
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'failed');
    assert.deepEqual([r.body.error.code, r.body.error.provider_code], ['recipient_opted_out', '21610']);
  });

  it('an inbound SMS is answered with empty TwiML and listed at /v1/inbound', async () => {
    const res = await fake.sendInbound(`${t.config.publicUrl}/webhooks/twilio-main/inbound`, { From: '+14155550123', To: '+14155550199', Body: 'Is my order ready?' });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /xml/);
    assert.equal(await res.text(), '<?xml version="1.0" encoding="UTF-8"?><Response />');
    const found = await eventually(async () => {
      const list = (await t.call('GET', '/v1/inbound', undefined, as())).body.data as { from: string; body: string }[];
      return list.find((m) => m.from === '+14155550123');
    }, 5000, 'the inbound message');
    assert.equal(found.body, 'Is my order ready?');
    const forged = await fake.sendInbound(`${t.config.publicUrl}/webhooks/twilio-main/inbound`, { From: '+14155550124', To: '+14155550199', Body: 'x' }, true);
    assert.equal(forged.status, 403);
  });

  it('replaying the stored webhooks reproduces the same state', async () => {
    const before = (await t.call('GET', '/v1/messages?limit=200', undefined, as())).body.data as { id: string; status: string }[];
    const eventsBefore = await Promise.all(before.map(async (m) => (await get(m.id)).events.length));
    const inboundBefore = (await t.call('GET', '/v1/inbound', undefined, as())).body.data.length;
    const n = await replayWebhooks(t.app.ctx.store, t.app.processor!, {});
    assert.ok(n > 5);
    const after = (await t.call('GET', '/v1/messages?limit=200', undefined, as())).body.data as { id: string; status: string }[];
    assert.deepEqual(after.map((m) => [m.id, m.status]), before.map((m) => [m.id, m.status]));
    assert.deepEqual(await Promise.all(after.map(async (m) => (await get(m.id)).events.length)), eventsBefore);
    assert.equal((await t.call('GET', '/v1/inbound', undefined, as())).body.data.length, inboundBefore);
  });

  it('refuses callback URLs on private addresses unless the operator allows them', async () => {
    const r = await send({ callback_url: 'http://10.1.2.3/hook' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'invalid_callback_url');
    // Without an allow-list, a host name that resolves to loopback is refused at
    // delivery, and the refusal is recorded.
    const strict = await startApp({ callbackAllowlist: [] });
    try {
      const s = await strict.call('POST', '/v1/messages', { to: '+14155550100', body: 'x', callback_url: 'http://localhost:9/hook' });
      assert.equal(s.status, 202);
      const cbs = await eventually(async () => {
        const list = await strict.app.ctx.store.listCallbacks(s.body.id);
        return list.length > 0 && list.every((c) => c.status === 'failed') && list;
      }, 10_000, 'the callbacks to be refused');
      assert.match(cbs[0].last_error ?? '', /private address/);
      assert.equal((await strict.app.ctx.store.listCallbackAttempts(cbs[0].id)).length, 1);
    } finally { await strict.stop(); }
  });

  it('retries a callback whose host name does not resolve, checking it again each time', async () => {
    const strict = await startApp({ callbackAllowlist: [] });
    try {
      const s = await strict.call('POST', '/v1/messages', { to: '+14155550100', body: 'x', callback_url: 'https://no-such-host.invalid/hook' });
      assert.equal(s.status, 202);
      const cb = await eventually(async () => (await strict.app.ctx.store.listCallbacks(s.body.id)).find((c) => c.attempts >= 2), 10_000, 'a second delivery attempt');
      assert.equal(cb.status, 'pending', 'a DNS failure is not the end of the callback');
      assert.match(cb.last_error ?? '', /cannot resolve no-such-host\.invalid/);
    } finally { await strict.stop(); }
  });

  it('refuses a provider record that carries a secret value', async () => {
    const r = await t.call('POST', '/v1/providers', { id: 'bad', kind: 'twilio', config: { account_sid: FAKE_ACCOUNT_SID, auth_token: 'oops' } });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'secret_value_given');
    const list = await t.call('GET', '/v1/providers');
    assert.ok(!JSON.stringify(list.body).includes(FAKE_AUTH_TOKEN));
  });
});
