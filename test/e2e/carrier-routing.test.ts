// Carrier-aware routing (issue 28): a lookup before routing when a message asks for one
// (the simulator's deterministic numbers, and Twilio Lookup v2 through its fake), route
// rules by network and by longest prefix, and prices by network.
import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, eventually, type TestApp } from '../helpers/app.ts';
import { TwilioFake, FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN } from '../../src/sandbox/twilio.ts';
import { importPriceList } from '../../src/services/price-list.ts';
import { VonageFake, FAKE_VONAGE_KEY, FAKE_VONAGE_SIGNATURE_SECRET } from '../../src/sandbox/vonage.ts';

const LANDLINE = '+15005550011';
const MOBILE_B = '+15005550012'; // 310/260
const PORTED_TO_B = '+15005550013'; // ported from 310/410 to 310/260
const LOOKUP_FAILS = '+15005550014';

type Sent = { status: string; provider: string | null; error: { code: string } | null; routing?: { lookup?: Record<string, unknown>; rule?: string; candidates: { provider: string; price_entry?: string }[] }; attempts: unknown[] };

describe('carrier-aware routing (simulators)', () => {
  let t: TestApp;
  before(async () => {
    t = await startApp();
    for (const [id, prices] of [['sim-a', { US: '0.0100' }], ['sim-b', { US: '0.0200', '310-260': '0.0050' }]] as const) {
      const r = await t.call('POST', '/v1/providers', { id, kind: 'simulator', prices, config: { latency_ms: 0 } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
  });
  after(async () => { await t.stop(); });
  beforeEach(async () => {
    for (const r of (await t.call('GET', '/v1/route-rules')).body.data) await t.call('DELETE', `/v1/route-rules/${encodeURIComponent(r.match)}`);
  });

  async function send(to: string, lookup: boolean): Promise<Sent> {
    const r = await t.call('POST', '/v1/messages', { to, body: 'carrier', ...(lookup ? { lookup: true } : {}) });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    return eventually(async () => {
      const m = (await t.call('GET', `/v1/messages/${r.body.id}`)).body;
      return ['delivered', 'failed', 'undelivered'].includes(m.status) && m;
    }, 10_000, `${to} final`);
  }

  it('a landline found by the lookup is not sent: failed with not_mobile, no attempt', async () => {
    const m = await send(LANDLINE, true);
    assert.deepEqual([m.status, m.error?.code, m.attempts.length], ['failed', 'not_mobile', 0]);
  });

  it('a price by network makes the looked-up mobile network\'s cheaper provider win; without a lookup the country price decides', async () => {
    const looked = await send(MOBILE_B, true);
    assert.equal(looked.provider, 'sim-b');
    assert.equal(looked.routing?.candidates.find((c) => c.provider === 'sim-b')?.price_entry, '310-260');
    assert.deepEqual([looked.routing?.lookup?.network, looked.routing?.lookup?.line_type], ['310-260', 'mobile']);
    assert.equal((await send(MOBILE_B, false)).provider, 'sim-a');
  });

  it('a ported number goes by its new network\'s rule, which beats the prefix rule; without a lookup the prefix rule holds', async () => {
    for (const [match, providers] of [['+1500', ['sim-a']], ['310260', ['sim-b']]] as const) {
      assert.equal((await t.call('POST', '/v1/route-rules', { match, providers })).status, 201);
    }
    const ported = await send(PORTED_TO_B, true);
    assert.deepEqual([ported.provider, ported.routing?.rule, ported.routing?.lookup?.ported], ['sim-b', '310-260', true]);
    const plain = await send(PORTED_TO_B, false);
    assert.deepEqual([plain.provider, plain.routing?.rule], ['sim-a', '+1500']);
  });

  it('the longest prefix rule wins, over the country\'s prices', async () => {
    for (const [match, providers] of [['+1', ['sim-a']], ['+1500555', ['sim-b']]] as const) {
      assert.equal((await t.call('POST', '/v1/route-rules', { match, providers })).status, 201);
    }
    const m = await send('+15005550020', false);
    assert.deepEqual([m.provider, m.routing?.rule], ['sim-b', '+1500555'], 'sim-b, though sim-a is cheaper for US');
    const bad = await t.call('POST', '/v1/route-rules', { match: '+1', providers: ['nope'] });
    assert.deepEqual([bad.status, bad.body.error.field], [400, 'providers']);
    const badMatch = await t.call('POST', '/v1/route-rules', { match: 'US', providers: ['sim-a'] });
    assert.deepEqual([badMatch.status, badMatch.body.error.field], [400, 'match']);
  });

  it('a price list import changes the chosen route (the running server picks the new prices up)', async () => {
    const to = '+15005550030';
    assert.equal((await send(to, false)).provider, 'sim-a', 'sim-a is cheaper for US');
    const r = await importPriceList(t.ctx().store, 'sim-b', 'prefix,price\n+1500555,0.0010\n', false);
    assert.deepEqual(r.changes, [{ key: '+1500555', from: null, to: '0.0010' }]);
    const m = await eventually(async () => { const x = await send(to, false); return x.provider === 'sim-b' && x; }, 10_000, 'routed by the imported price');
    assert.equal(m.routing?.candidates.find((c) => c.provider === 'sim-b')?.price_entry, '+1500555');
    await importPriceList(t.ctx().store, 'sim-b', 'prefix,price\n+1500555,0.0900\n', false); // back to costlier than sim-a
  });

  it('a failed lookup still sends, by prefix and country, and says so', async () => {
    const m = await send(LOOKUP_FAILS, true);
    assert.equal(m.status, 'delivered');
    assert.match(String(m.routing?.lookup?.error), /lookup through sim-a failed|lookup through sim-b failed/);
    const r = await t.call('GET', `/v1/lookups/${encodeURIComponent(LOOKUP_FAILS)}`);
    assert.equal(r.status, 503);
  });

  it('the preview shows the cached lookup and the rule a send would use, without looking up', async () => {
    await send(LANDLINE, true); // cached now
    const landline = await t.call('POST', '/v1/messages/preview', { to: LANDLINE, body: 'x', lookup: true });
    assert.deepEqual([landline.status, landline.body.would_send, landline.body.verdicts.map((v: { code: string }) => v.code), landline.body.lookup.line_type], [200, false, ['not_mobile'], 'landline']);
    const unknown = await t.call('POST', '/v1/messages/preview', { to: '+15005550077', body: 'x', lookup: true });
    assert.deepEqual([unknown.body.would_send, unknown.body.lookup.cached], [true, false]);
    assert.equal((await t.call('GET', `/v1/lookups/${encodeURIComponent('+15005550077')}`)).body.cached, false, 'the preview looked nothing up');
  });

  it('a country rule may ask for a lookup of every message to that country', async () => {
    const rule = await t.call('POST', '/v1/country-rules', { country: 'US', lookup: true });
    assert.deepEqual([rule.status, rule.body.lookup], [201, true]);
    try {
      await eventually(async () => { const m = await send(LANDLINE, false); return m.error?.code === 'not_mobile' && m; }, 10_000, 'the landline refused without the message asking');
    } finally {
      assert.equal((await t.call('POST', '/v1/country-rules', { country: 'US', lookup: false })).status, 201);
    }
  });

  it('GET /v1/lookups/:number answers from the cache; ?refresh=true needs admin', async () => {
    await send(MOBILE_B, true);
    const r = await t.call('GET', `/v1/lookups/${encodeURIComponent(MOBILE_B)}`);
    assert.deepEqual([r.status, r.body.cached, r.body.network, r.body.line_type, r.body.carrier], [200, true, '310-260', 'mobile', 'Simulated Mobile B']);
    const k = await t.call('POST', '/v1/keys', { name: 'reader', scopes: ['read'] });
    const reader = { authorization: `Bearer ${k.body.secret}` };
    assert.equal((await t.call('GET', `/v1/lookups/${encodeURIComponent(MOBILE_B)}`, undefined, reader)).status, 200);
    assert.equal((await t.call('GET', `/v1/lookups/${encodeURIComponent(MOBILE_B)}?refresh=true`, undefined, reader)).status, 403);
    const uncached = await t.call('GET', `/v1/lookups/${encodeURIComponent('+15005550088')}`, undefined, reader);
    assert.deepEqual([uncached.status, uncached.body.error.code], [404, 'not_found'], 'a read key never makes a lookup');
    const fresh = await t.call('GET', `/v1/lookups/${encodeURIComponent(MOBILE_B)}?refresh=true`);
    assert.deepEqual([fresh.status, fresh.body.cached], [200, false]);
  });
});

describe('carrier lookups through Twilio Lookup v2', () => {
  const TOKEN_ENV = 'TWILIO_TEST_LOOKUP_TOKEN';
  let t: TestApp;
  let fake: TwilioFake;
  before(async () => {
    process.env[TOKEN_ENV] = FAKE_AUTH_TOKEN;
    fake = await new TwilioFake().start();
    t = await startApp();
    const r = await t.call('POST', '/v1/providers', { id: 'twilio-main', kind: 'twilio', prices: { US: '0.0079' }, config: { account_sid: FAKE_ACCOUNT_SID, auth_token_env: TOKEN_ENV, base_url: fake.url, lookup_base_url: fake.url } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal((await t.call('POST', '/v1/numbers', { number: '+14155550199', provider_id: 'twilio-main' })).status, 201);
  });
  after(async () => { await t.stop(); await fake.stop(); delete process.env[TOKEN_ENV]; });

  const final = (id: string) => eventually(async () => {
    const m = (await t.call('GET', `/v1/messages/${id}`)).body;
    return ['sent', 'delivered', 'failed', 'undelivered'].includes(m.status) && m;
  }, 10_000, `${id} sent`);

  it('two sends to one number at once cause one lookup; later sends read the cache', async () => {
    const to = '+14155550123';
    const ids = await Promise.all([1, 2].map(async () => (await t.call('POST', '/v1/messages', { to, body: 'x', lookup: true })).body.id as string));
    for (const id of ids) assert.equal((await final(id)).routing.lookup.network, '310-410');
    const third = await final((await t.call('POST', '/v1/messages', { to, body: 'y', lookup: true })).body.id);
    assert.equal(third.routing.lookup.cached, true);
    assert.deepEqual(fake.lookups.filter((n) => n === to), [to], 'one lookup request');
  });

  it('a landline by Twilio\'s Line Type Intelligence is not sent', async () => {
    const to = '+14155550124';
    fake.lineTypes.set(to, { carrier_name: 'Fake Telco', error_code: null, mobile_country_code: null, mobile_network_code: null, type: 'landline' });
    const sends = fake.requests.length;
    const m = await final((await t.call('POST', '/v1/messages', { to, body: 'x', lookup: true })).body.id);
    assert.deepEqual([m.status, m.error.code], ['failed', 'not_mobile']);
    assert.equal(fake.requests.length, sends, 'nothing sent to Twilio');
  });
});

describe('carrier lookups through Vonage Number Insight', () => {
  const SIGNATURE_ENV = 'VONAGE_TEST_LOOKUP_SIGNATURE';
  let t: TestApp;
  let fake: VonageFake;
  before(async () => {
    process.env[SIGNATURE_ENV] = FAKE_VONAGE_SIGNATURE_SECRET;
    fake = await new VonageFake().start();
    t = await startApp();
    const r = await t.call('POST', '/v1/providers', { id: 'vonage-main', kind: 'vonage', prices: { US: '0.0090' }, config: { api_key: FAKE_VONAGE_KEY, signature_secret_env: SIGNATURE_ENV, base_url: fake.url, insight_base_url: fake.url, from: '+14155550188' } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  });
  after(async () => { await t.stop(); await fake.stop(); delete process.env[SIGNATURE_ENV]; });

  it('a ported number is found on its new network (signed request), and a landline is not sent', async () => {
    const ported = '+14155550131';
    fake.carriers.set('14155550131', { network_code: '310260', name: 'Fake Mobile B', network_type: 'mobile', ported: 'ported' });
    const r = await t.call('GET', `/v1/lookups/${encodeURIComponent(ported)}`);
    assert.deepEqual([r.status, r.body.network, r.body.ported, r.body.carrier, r.body.price], [200, '310-260', true, 'Fake Mobile B', '0.0050']);
    const landline = '+14155550132';
    fake.carriers.set('14155550132', { network_code: null, name: 'Fake Fixed', network_type: 'landline', ported: 'unknown' });
    const sends = fake.requests.length;
    const id = (await t.call('POST', '/v1/messages', { to: landline, body: 'x', lookup: true })).body.id;
    const m = await eventually(async () => { const x = (await t.call('GET', `/v1/messages/${id}`)).body; return x.status === 'failed' && x; }, 10_000, 'failed');
    assert.equal(m.error.code, 'not_mobile');
    assert.equal(fake.requests.length, sends, 'nothing sent to Vonage');
    assert.deepEqual(fake.insights, ['14155550131', '14155550132']);
  });
});
