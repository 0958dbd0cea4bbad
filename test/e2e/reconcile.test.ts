// Receipt reconciliation: a provider whose status callbacks never reach us (our server
// was down, say) still has its messages reach their final status, because Switchboard
// asks the provider (Twilio's Message fetch) once a part has stayed `sent` too long.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startApp, type TestApp } from '../helpers/app.ts';
import { freePort } from '../helpers/net.ts';
import { TwilioFake, FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN } from '../../src/sandbox/twilio.ts';

const TOKEN_ENV = 'TWILIO_TEST_RECONCILE_TOKEN';

describe('receipt reconciliation', () => {
  let fake: TwilioFake;
  let t: TestApp;

  before(async () => {
    process.env[TOKEN_ENV] = FAKE_AUTH_TOKEN;
    fake = await new TwilioFake().start();
    const port = await freePort();
    t = await startApp({ port, publicUrl: `http://127.0.0.1:${port}`, reconcileAfterMs: 300, reconcileEveryMs: 50 });
    const p = await t.call('POST', '/v1/providers', { id: 'twilio-main', kind: 'twilio', config: { account_sid: FAKE_ACCOUNT_SID, auth_token_env: TOKEN_ENV, base_url: fake.url, from: '+14155550199' } });
    assert.equal(p.status, 201);
  });
  after(async () => { await t.stop(); await fake.stop(); delete process.env[TOKEN_ENV]; });

  it('a message whose callbacks were lost reaches its final status by asking the provider, once', async () => {
    fake.plan = { statuses: ['sent', 'undelivered'], delayMs: 5, lost: true, errorCode: '30003' };
    const r = await t.call('POST', '/v1/messages', { to: '+14155550100', body: 'are you there?' });
    const m = await eventually(async () => { const x = (await t.call('GET', `/v1/messages/${r.body.id}`)).body; return x.status === 'undelivered' && x; }, 10_000, 'the fetched final status');
    assert.equal(fake.callbacksSent.length, 0, 'no callback ever came');
    assert.deepEqual(m.events.map((e: { provider_status: string; detail: string }) => [e.provider_status, e.detail]), [['undelivered', 'fetched']]);
    assert.deepEqual([m.error.code, m.error.provider_code], ['unreachable', '30003']);
    const metrics = (await t.call('GET', '/metrics')).body as string;
    assert.match(metrics, /switchboard_receipts_reconciled_total\{provider="twilio-main"\} 1/);
  });

  it('a message still on its way at the provider is asked about again later, and nothing changes meanwhile', async () => {
    fake.plan = { statuses: [], delayMs: 5, lost: true };
    const r = await t.call('POST', '/v1/messages?wait=5', { to: '+14155550101', body: 'slow carrier' });
    assert.equal(r.body.status, 'sent');
    const sid = r.body.provider_message_id as string;
    const asked = () => fake.fetches.filter((f) => f === sid).length;
    await eventually(async () => asked() >= 2, 10_000, 'two lookups');
    assert.equal((await t.call('GET', `/v1/messages/${r.body.id}`)).body.status, 'sent');
    const metrics = (await t.call('GET', '/metrics')).body as string;
    assert.match(metrics, /switchboard_parts_awaiting_receipt 1\n/, 'the part still awaiting its receipt is counted');
    const age = Number(/switchboard_parts_awaiting_receipt_oldest_age_seconds ([\d.e-]+)/.exec(metrics)?.[1]);
    assert.ok(age > 0, `the oldest part's age: ${age}`);
    Object.assign(fake.messages.get(sid)!, { status: 'delivered' });
    await eventually(async () => (await t.call('GET', `/v1/messages/${r.body.id}`)).body.status === 'delivered', 10_000, 'delivered once the provider says so');
  });
});

describe('receipt deadline', () => {
  it('a message whose provider never reports, and whose status lookup never says final, ends expired with no_receipt, once', async () => {
    const t = await startApp({ receiptDeadlineMs: 1_000, reconcileEveryMs: 50 });
    try {
      // The simulator sends to this number and never reports; its status lookup answers `sent` for ever.
      const r = await t.call('POST', '/v1/messages?wait=5', { to: '+15005550008', body: 'into the void' });
      assert.equal(r.body.status, 'sent');
      const m = await eventually(async () => { const x = (await t.call('GET', `/v1/messages/${r.body.id}`)).body; return x.status === 'expired' && x; }, 10_000, 'expired at the deadline');
      assert.equal(m.error.code, 'no_receipt');
      assert.deepEqual(m.events.map((e: { provider_status: string; detail: string }) => [e.provider_status, e.detail]), [['no_receipt', 'receipt deadline']]);
      assert.deepEqual(m.parts.map((p: { status: string }) => p.status), ['expired']);
      const metrics = (await t.call('GET', '/metrics')).body as string;
      assert.match(metrics, /switchboard_messages_final_total\{status="expired"\} 1/);
    } finally { await t.stop(); }
  });
});

