// Voice notifications through Twilio's Calls API (the fake speaks it): a text-to-speech
// call from a voice-capable number, its signed status callbacks applied like receipts,
// failover to the backup provider's voice number, and the SMS fallback when nobody answers.
import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startApp, type TestApp } from '../helpers/app.ts';
import { freePort } from '../helpers/net.ts';
import { TwilioFake, FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN } from '../../src/sandbox/twilio.ts';

const TOKEN_ENV = 'TWILIO_VOICE_TOKEN';

describe('voice calls', () => {
  let a: TwilioFake;
  let b: TwilioFake;
  let t: TestApp;

  before(async () => {
    process.env[TOKEN_ENV] = FAKE_AUTH_TOKEN;
    a = await new TwilioFake().start();
    b = await new TwilioFake().start();
    const port = await freePort();
    t = await startApp({ port, publicUrl: `http://127.0.0.1:${port}`, backoffBaseMs: 20 });
    for (const [id, fake, price] of [['twilio-a', a, '0.0130'], ['twilio-b', b, '0.0200']] as const) {
      assert.equal((await t.call('POST', '/v1/providers', { id, kind: 'twilio', prices: { US: price }, config: { account_sid: FAKE_ACCOUNT_SID, auth_token_env: TOKEN_ENV, base_url: fake.url } })).status, 201);
    }
    for (const n of [
      { number: '+14155550401', provider_id: 'twilio-a', capabilities: ['sms', 'voice'], rate_per_second: 100 },
      { number: '+14155550403', provider_id: 'twilio-a', capabilities: ['sms'], rate_per_second: 100 },
      { number: '+14155550402', provider_id: 'twilio-b', capabilities: ['sms', 'voice'], rate_per_second: 100 },
    ]) assert.equal((await t.call('POST', '/v1/numbers', n)).status, 201);
  });
  after(async () => { await t.stop(); await a.stop(); await b.stop(); delete process.env[TOKEN_ENV]; });
  beforeEach(() => { a.outage = null; b.outage = null; });

  const final = (id: string, status: string) => eventually(async () => {
    const m = (await t.call('GET', `/v1/messages/${id}`)).body;
    return m.status === status && m;
  }, 10_000, `${id} ${status}`);

  it('places a text-to-speech call from a voice number; its signed status callbacks deliver it', async () => {
    const r = await t.call('POST', '/v1/calls', { to: '+14155550100', say: 'Your order <42> is ready', voice: 'alice', language: 'en-US' });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(r.body.channel, 'voice');
    const m = await final(r.body.id, 'delivered');
    const placed = a.calls.find((c) => c.sid === m.provider_message_id)!;
    assert.deepEqual([placed.form.get('From'), placed.form.get('Twiml')], ['+14155550401', '<Response><Say voice="alice" language="en-US">Your order &lt;42&gt; is ready</Say></Response>']);
    assert.deepEqual(placed.form.getAll('StatusCallbackEvent'), ['initiated', 'ringing', 'answered', 'completed']);
    assert.equal(placed.form.get('StatusCallback'), `${t.config.publicUrl}/webhooks/twilio-a/status`);
    // Every status callback is kept as an event (in the order they arrived: on a busy machine the fake's timers may post them out of order).
    assert.deepEqual(m.events.map((e: { provider_status: string }) => e.provider_status).sort(), ['completed', 'in-progress', 'initiated', 'ringing']);
    assert.equal(a.requests.length, 0, 'no text was sent');
  });

  it('fails over to the backup provider\'s voice number when the primary is down', async () => {
    a.outage = { kind: 'error', status: 503, code: 20503 };
    const r = await t.call('POST', '/v1/calls', { to: '+14155550101', say: 'Backup test' });
    const m = await final(r.body.id, 'delivered');
    assert.deepEqual(m.attempts.map((x: { provider: string; outcome: string; failover: boolean; from: string }) => [x.provider, x.outcome, x.failover, x.from]), [
      ['twilio-a', 'transient', true, '+14155550401'], ['twilio-b', 'sent', false, '+14155550402'],
    ]);
    assert.equal(b.calls.at(-1)!.form.get('From'), '+14155550402');
  });

  it('sends the text as an SMS when the call is not answered, once', async () => {
    a.callPlans.set('+14155550102', ['initiated', 'ringing', 'no-answer']);
    const r = await t.call('POST', '/v1/calls', { to: '+14155550102', say: 'Your table is ready', fallback_sms: true });
    const call = await final(r.body.id, 'undelivered');
    assert.deepEqual([call.error.code, call.error.provider_code], ['unreachable', 'no-answer']);
    const sms = await eventually(async () => {
      const list = (await t.call('GET', '/v1/messages?metadata.fallback_for=' + r.body.id)).body.data;
      return list.length === 1 && list[0].status === 'delivered' && list[0];
    }, 10_000, 'the SMS fallback delivered');
    assert.deepEqual([sms.channel, sms.to, sms.body], ['sms', '+14155550102', 'Your table is ready']);
    assert.equal(a.requests.filter((q) => q.form.get('To') === '+14155550102').length, 1, 'one text');
  });

  it('places a call notify-style, answering with the path once it is placed', async () => {
    const r = await t.call('POST', '/notify/voice', { to: '+14155550104', say: 'Notify style' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual([r.body.ok, r.body.path.provider, r.body.path.from, r.body.message.channel], [true, 'twilio-a', '+14155550401', 'voice']);
  });

  it('refuses a call with nothing to say, and a voice-less sender', async () => {
    assert.equal((await t.call('POST', '/v1/calls', { to: '+14155550103' })).body.error.field, 'say');
    const r = await t.call('POST', '/v1/calls', { to: '+14155550103', say: 'hi', from: '+14155550403' });
    assert.deepEqual([r.status, r.body.error.code], [422, 'sender_not_allowed']);
  });
});
