// Sinch end to end: a message sent as a one-recipient batch reaches `delivered` through
// per-recipient delivery reports that carry the provisioned Basic credentials; reports
// and inbound texts without them are refused and nothing is stored.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startApp, type TestApp } from '../helpers/app.ts';
import { freePort } from '../helpers/net.ts';
import { SinchFake, FAKE_SINCH_PLAN, FAKE_SINCH_TOKEN, FAKE_SINCH_CALLBACK_USER, FAKE_SINCH_CALLBACK_PASSWORD } from '../../src/sandbox/sinch.ts';

const ENV = { SINCH_E2E_TOKEN: FAKE_SINCH_TOKEN, SINCH_E2E_CALLBACK: FAKE_SINCH_CALLBACK_PASSWORD };

describe('Sinch end to end', () => {
  let fake: SinchFake;
  let t: TestApp;

  before(async () => {
    Object.assign(process.env, ENV);
    fake = await new SinchFake().start();
    const port = await freePort();
    t = await startApp({ port, publicUrl: `http://127.0.0.1:${port}` });
    const p = await t.call('POST', '/v1/providers', {
      id: 'sinch-main', kind: 'sinch', prices: { US: '0.0078' },
      config: { service_plan_id: FAKE_SINCH_PLAN, api_token_env: 'SINCH_E2E_TOKEN', callback_username: FAKE_SINCH_CALLBACK_USER, callback_password_env: 'SINCH_E2E_CALLBACK', base_url: fake.url, from: '+14155550177' },
    });
    assert.equal(p.status, 201, JSON.stringify(p.body));
  });
  after(async () => { await t.stop(); await fake.stop(); for (const k of Object.keys(ENV)) delete process.env[k]; });

  it('sends a batch and is delivered through authenticated delivery reports', async () => {
    const r = await t.call('POST', '/v1/messages', { to: '+14155550100', body: 'Your code is 123456', validity_period: 600 });
    const m = await eventually(async () => { const x = (await t.call('GET', `/v1/messages/${r.body.id}`)).body; return x.status === 'delivered' && x; }, 10_000, 'delivered');
    const batch = fake.requests.find((q) => q.id === m.provider_message_id)!.batch;
    assert.deepEqual([batch.to, batch.from, batch.client_reference, batch.delivery_report, batch.callback_url], [['+14155550100'], '+14155550177', r.body.id, 'per_recipient', `${t.config.publicUrl}/webhooks/sinch-main/status`]);
    assert.ok(typeof batch.expire_at === 'string');
    assert.deepEqual(m.events.map((e: { provider_status: string }) => e.provider_status), ['dispatched', 'delivered']);
  });

  it('refuses reports and inbound texts without the provisioned credentials, and stores nothing', async () => {
    const before = (await t.app.ctx.store.listWebhooks({ providerId: 'sinch-main' })).length;
    const { body } = fake.report('01FAKEBATCH', 'Delivered');
    for (const authorization of [undefined, 'Basic c3dpdGNoYm9hcmQ6Z3Vlc3M=', `Bearer ${FAKE_SINCH_TOKEN}`]) {
      const res = await fetch(`${t.url}/webhooks/sinch-main/status`, { method: 'POST', headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, body });
      assert.equal(res.status, 403, String(authorization));
    }
    assert.equal((await t.app.ctx.store.listWebhooks({ providerId: 'sinch-main' })).length, before);
    const inbound = await fake.sendInbound(`${t.url}/webhooks/sinch-main/inbound`, { from: '+14155550111', to: '+14155550177', body: 'hello there' });
    assert.equal(inbound.status, 200);
    const got = await eventually(async () => (await t.call('GET', '/v1/inbound')).body.data.find((m: { body: string }) => m.body === 'hello there'), 10_000, 'the inbound text');
    assert.deepEqual([got.from, got.to, got.provider], ['+14155550111', '+14155550177', 'sinch-main']);
  });
});
