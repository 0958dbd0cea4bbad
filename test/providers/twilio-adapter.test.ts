// The Twilio adapter against the loopback fake: the wire format, auth, and the retry
// class of every documented failure. The fake's answers and the adapter's requests are
// both checked against Twilio's own OpenAPI description.
import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config.ts';
import { createTwilio } from '../../src/providers/twilio/adapter.ts';
import type { ProviderAdapter, SendRequest } from '../../src/providers/provider.ts';
import { TwilioFake, FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN } from '../../src/sandbox/twilio.ts';
import { check, checkForm, twilioSpec } from '../helpers/openapi.ts';

const req = (over: Partial<SendRequest> = {}): SendRequest => ({
  messageId: 'msg_1', attempt: 1, to: '+14155550100', from: '+14155550199', body: 'hello', encoding: 'GSM-7', segments: 1,
  statusCallbackUrl: 'https://sb.example.com/webhooks/twilio-main/status', ...over,
});

describe('Twilio adapter against the fake', () => {
  let fake: TwilioFake;
  let adapter: ProviderAdapter;
  const signal = () => AbortSignal.timeout(2000);
  before(async () => {
    fake = await new TwilioFake().start();
    fake.plan = { statuses: [], delayMs: 0 };
    adapter = createTwilio({
      providerId: 'twilio-main', publicUrl: 'https://sb.example.com', emitWebhook: async () => {}, settings: loadConfig({}),
      config: { account_sid: FAKE_ACCOUNT_SID, auth_token_env: 'TEST_TWILIO_TOKEN', base_url: fake.url },
      secret: (name) => (name === 'TEST_TWILIO_TOKEN' ? FAKE_AUTH_TOKEN : undefined),
    });
  });
  after(async () => { await adapter.close?.(); await fake.stop(); });
  beforeEach(() => { fake.behaviours.length = 0; });

  it('creates a message with the documented form parameters and basic auth', async () => {
    const out = await adapter.send(req({ validitySeconds: 600 }), signal());
    assert.equal(out.ok, true);
    const r = fake.requests.at(-1)!;
    assert.deepEqual(out.ok && out.parts, [{ index: 0, providerMessageId: r.sid }], 'one part: Twilio joins the segments itself');
    assert.equal(r.form.get('To'), '+14155550100');
    assert.equal(r.form.get('From'), '+14155550199');
    assert.equal(r.form.get('Body'), 'hello');
    assert.equal(r.form.get('StatusCallback'), 'https://sb.example.com/webhooks/twilio-main/status');
    assert.equal(r.form.get('ValidityPeriod'), '600');
    assert.equal(r.authorization, `Basic ${Buffer.from(`${FAKE_ACCOUNT_SID}:${FAKE_AUTH_TOKEN}`).toString('base64')}`);
  });

  it('sends only parameters Twilio\'s spec defines, and the fake answers as the spec describes', async () => {
    await adapter.send(req({ validitySeconds: 99_999 }), signal());
    const r = fake.requests.at(-1)!;
    assert.deepEqual(checkForm(r.form, twilioSpec.createMessageRequest), []);
    assert.deepEqual(check(r.answer, twilioSpec.message), []);
    assert.deepEqual(check(FAKE_ACCOUNT_SID, twilioSpec.accountSidParameter), []);
  });

  it('a 5xx is transient', async () => {
    fake.behaviours.push({ kind: 'error', status: 503, code: 20500, message: 'Service unavailable' });
    const out = await adapter.send(req(), signal());
    assert.deepEqual(out.ok ? null : [out.error.kind, out.error.code, out.error.providerCode], ['transient', 'provider_error', '20500']);
  });

  it('a 429 is throttled and honours Retry-After', async () => {
    fake.behaviours.push({ kind: 'error', status: 429, code: 20429, message: 'Too Many Requests', retryAfter: '3' });
    const out = await adapter.send(req(), signal());
    assert.equal(out.ok, false);
    assert.equal(!out.ok && out.error.kind, 'throttled');
    assert.equal(!out.ok && out.error.retryAfterMs, 3000);
  });

  it('an invalid number (21211), an opted-out recipient (21610) and bad credentials (20003) are permanent', async () => {
    const bad = await adapter.send(req({ to: '12345' }), signal());
    assert.deepEqual(bad.ok ? null : [bad.error.kind, bad.error.code, bad.error.providerCode], ['permanent', 'invalid_number', '21211']);
    fake.behaviours.push({ kind: 'error', status: 400, code: 21610, message: 'Attempt to send to unsubscribed recipient' });
    const stop = await adapter.send(req(), signal());
    assert.deepEqual(stop.ok ? null : [stop.error.kind, stop.error.code, stop.error.providerCode], ['permanent', 'recipient_opted_out', '21610']);
    const wrongToken = createTwilio({
      providerId: 'x', publicUrl: '', emitWebhook: async () => {}, secret: () => 'not-the-token', settings: loadConfig({}),
      config: { account_sid: FAKE_ACCOUNT_SID, auth_token_env: 'X', base_url: fake.url },
    });
    const auth = await wrongToken.send(req(), signal());
    await wrongToken.close?.();
    assert.deepEqual(auth.ok ? null : [auth.error.kind, auth.error.code, auth.error.providerCode], ['permanent', 'auth_failed', '20003']);
  });

  it('a provider that hangs is cut off by the send timeout', async () => {
    fake.behaviours.push({ kind: 'hang' });
    await assert.rejects(adapter.send(req(), AbortSignal.timeout(100)), (e: Error) => e.name === 'TimeoutError' || e.name === 'AbortError');
  });
});
