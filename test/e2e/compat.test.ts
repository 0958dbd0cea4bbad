// The relay's compatibility routes (DESIGN.md §5) over real HTTP, with two Twilio fakes:
// "primary" (cheaper) and "backup".
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, eventually, type TestApp } from '../helpers/app.ts';
import { freePort } from '../helpers/net.ts';
import { TwilioFake, FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN } from '../../src/sandbox/twilio.ts';

const TOKEN_ENV = 'TWILIO_TEST_COMPAT_TOKEN';
const DISPATCH = '+14155550199';
const OWNER = '+18585550100';
const ORIGIN = 'https://dispatch.example.com';

describe('compatibility routes', () => {
  let primary: TwilioFake;
  let backup: TwilioFake;
  let t: TestApp;

  before(async () => {
    process.env[TOKEN_ENV] = FAKE_AUTH_TOKEN;
    primary = await new TwilioFake().start();
    backup = await new TwilioFake().start();
    const port = await freePort();
    t = await startApp({ port, publicUrl: `http://127.0.0.1:${port}`, corsOrigins: [ORIGIN], sendTimeoutMs: 2_000, healthMinSamples: 3 });
    for (const [id, fake, price] of [['primary', primary, '0.0079'], ['backup', backup, '0.0100']] as const) {
      const r = await t.call('POST', '/v1/providers', { id, kind: 'twilio', prices: { US: price }, config: { account_sid: FAKE_ACCOUNT_SID, auth_token_env: TOKEN_ENV, base_url: fake.url } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    assert.equal((await t.call('POST', '/v1/numbers', { number: DISPATCH, provider_id: 'primary', rate_per_second: 100 })).status, 201);
    assert.equal((await t.call('POST', '/v1/numbers', { number: '+14155550201', provider_id: 'backup', rate_per_second: 100 })).status, 201);
    assert.equal((await t.call('POST', '/v1/relay-rules', { number: DISPATCH, destinations: [OWNER] })).status, 201);
  });
  after(async () => { await t.stop(); await primary.stop(); await backup.stop(); delete process.env[TOKEN_ENV]; });

  it('POST /sms/inbound takes a signed Twilio webhook, answers TwiML and relays the text', async () => {
    const url = `${t.config.publicUrl}/sms/inbound?provider=primary`;
    const res = await primary.sendInbound(url, { From: '+14155550100', To: DISPATCH, Body: 'need a ride at 9' });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /xml/);
    assert.match(await res.text(), /<Response\s*\/?>/);
    const relayed = await eventually(async () => [...primary.requests, ...backup.requests].find((r) => r.form.get('To') === OWNER && r.sid), 5_000, 'the relayed text');
    assert.equal(relayed.form.get('Body'), 'From +14155550100: need a ride at 9');
    const forged = await primary.sendInbound(url, { From: '+14155550100', To: DISPATCH, Body: 'x' }, true);
    assert.equal(forged.status, 403);
    // With two Twilio providers the caller must say which one signed it.
    const ambiguous = await primary.sendInbound(`${t.config.publicUrl}/sms/inbound`, { From: '+14155550100', To: DISPATCH, Body: 'x' });
    assert.equal(ambiguous.status, 404);
  });

  it('POST /sms/relay relays by hand, once per Idempotency-Key, and GET /sms/status shows the audit', async () => {
    const r = await t.call('POST', '/sms/relay', { to: DISPATCH, from: '+14155550101', body: 'left a voicemail' }, { 'idempotency-key': 'vm-1' });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(r.body.status, 'forwarding');
    assert.deepEqual(r.body.attempts.map((a: { destination: string }) => a.destination), [OWNER]);
    const again = await t.call('POST', '/sms/relay', { to: DISPATCH, from: '+14155550101', body: 'left a voicemail' }, { 'idempotency-key': 'vm-1' });
    assert.equal(again.status, 409);
    const none = await t.call('POST', '/sms/relay', { to: '+14155550198', from: '+14155550101', body: 'x' });
    assert.equal(none.status, 404);
    const status = await eventually(async () => {
      const s = (await t.call('GET', '/sms/status')).body;
      return s.relays.recent.find((x: { id: string; status: string }) => x.id === r.body.id && x.status === 'delivered') && s;
    }, 5_000, 'the manual relay delivered');
    assert.ok(status.relays.last_24h.delivered >= 1);
    assert.deepEqual(status.providers.map((p: { id: string }) => p.id).sort(), ['backup', 'primary']);
  });

  it('POST /notify/sms sends with failover and answers which path succeeded', async () => {
    const ok = await t.call('POST', '/notify/sms', { to: '+14155550110', body: 'your code is 1234' });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual([ok.body.ok, ok.body.path.provider, ok.body.path.failover], [true, 'primary', false]);
    primary.outage = { kind: 'error', status: 503, code: 20503 };
    try {
      const moved = await t.call('POST', '/notify/sms', { to: '+14155550111', body: 'your code is 5678' });
      assert.equal(moved.status, 200, JSON.stringify(moved.body));
      assert.deepEqual([moved.body.path.provider, moved.body.path.from, moved.body.path.failover], ['backup', '+14155550201', true]);
      assert.deepEqual(moved.body.attempts.map((a: { provider: string; outcome: string }) => [a.provider, a.outcome]), [['primary', 'transient'], ['backup', 'sent']]);
      backup.outage = { kind: 'error', status: 400, code: 21610, message: 'Attempt to send to unsubscribed recipient' };
      const failed = await t.call('POST', '/notify/sms', { to: '+14155550112', body: 'x' });
      assert.equal(failed.status, 502, JSON.stringify(failed.body));
      assert.equal(failed.body.ok, false);
      assert.equal(failed.body.status, 'failed');
      assert.ok(failed.body.error.code);
    } finally {
      primary.outage = null;
      backup.outage = null;
    }
    const bad = await t.call('POST', '/notify/sms', { to: 'not a number', body: 'x' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'invalid_phone_number');
  });

  it('POST /relay/status shows rules, relay counts, providers and numbers (admin only)', async () => {
    const s = await t.call('POST', '/relay/status');
    assert.equal(s.status, 200);
    assert.deepEqual(s.body.rules.map((r: { number: string; destinations: string[] }) => [r.number, r.destinations]), [[DISPATCH, [OWNER]]]);
    assert.ok(s.body.numbers.some((n: { number: string }) => n.number === DISPATCH));
    const key = (await t.call('POST', '/v1/keys', { name: 'reader', account_id: 'default', scopes: ['read'] })).body.secret;
    assert.equal((await t.call('POST', '/relay/status', undefined, { authorization: `Bearer ${key}` })).status, 403);
    assert.equal((await t.call('POST', '/relay/status', undefined, { authorization: 'Bearer nope' })).status, 401);
  });

  it('answers a CORS preflight for an allowed origin and gives another origin no CORS headers', async () => {
    const preflight = (origin: string) => fetch(`${t.url}/notify/sms`, {
      method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    const ok = await preflight(ORIGIN);
    assert.ok(ok.status < 300);
    assert.equal(ok.headers.get('access-control-allow-origin'), ORIGIN);
    assert.match(ok.headers.get('access-control-allow-methods') ?? '', /POST/);
    const other = await preflight('https://elsewhere.example.org');
    assert.equal(other.headers.get('access-control-allow-origin'), null);
  });
});
