// End to end over real HTTP: the real server on a free port, the built-in simulator as
// the provider, receipts coming back through stored raw webhooks.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, eventually, type TestApp } from '../helpers/app.ts';

describe('a message from POST to delivered', () => {
  let t: TestApp;
  before(async () => { t = await startApp({ maxAttempts: 3 }); });
  after(async () => { await t.stop(); });

  const status = async (id: string) => (await t.call('GET', `/v1/messages/${id}`)).body;
  const until = (id: string, s: string) => eventually(async () => { const m = await status(id); return m.status === s && m; }, 10_000, `${id} to be ${s}`);

  it('goes queued → sent → delivered, with its attempt and receipt recorded', async () => {
    const r = await t.call('POST', '/v1/messages', { to: '+14155550100', body: 'Your table is ready' });
    assert.equal(r.status, 202);
    assert.equal(r.body.status, 'queued');
    const m = await until(r.body.id, 'delivered');
    assert.equal(m.provider, 'simulator');
    assert.equal(m.from, '+15005550006');
    assert.ok(m.sent_at && m.final_at);
    assert.equal(m.attempts.length, 1);
    assert.equal(m.attempts[0].outcome, 'sent');
    assert.equal(m.events.length, 1);
    assert.equal(m.events[0].provider_status, 'delivered');
  });

  it('?wait= answers with the send outcome', async () => {
    const r = await t.call('POST', '/v1/messages?wait=5', { to: '+14155550100', body: 'wait for me' });
    assert.equal(r.status, 200);
    assert.ok(['sent', 'delivered'].includes(r.body.status), r.body.status);
    assert.equal(r.body.provider, 'simulator');
  });

  it('a transient failure is retried and then sent', async () => {
    const r = await t.call('POST', '/v1/messages', { to: '+15005550003', body: 'flaky carrier' });
    const m = await until(r.body.id, 'delivered');
    assert.deepEqual(m.attempts.map((a: { outcome: string }) => a.outcome), ['transient', 'sent']);
    assert.deepEqual([m.attempts[0].error.code, m.attempts[0].error.provider_code], ['unreachable', 'destination_unavailable']);
  });

  it('a throttled attempt is retried without using up attempts', async () => {
    const r = await t.call('POST', '/v1/messages', { to: '+15005550004', body: 'slow down' });
    const m = await until(r.body.id, 'delivered');
    assert.deepEqual(m.attempts.map((a: { outcome: string }) => a.outcome), ['throttled', 'sent']);
  });

  it('a transient failure that never clears fails after the configured attempts', async () => {
    const r = await t.call('POST', '/v1/messages', { to: '+15005550002', body: 'outage' });
    const m = await until(r.body.id, 'failed');
    assert.equal(m.attempts.length, 3);
    assert.deepEqual([m.error.code, m.error.provider_code], ['unreachable', 'destination_unavailable']);
  });

  it('a permanent refusal fails at once with the provider error', async () => {
    const r = await t.call('POST', '/v1/messages?wait=5', { to: '+15005550001', body: 'nope' });
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'failed');
    assert.deepEqual([r.body.error.code, r.body.error.provider_code], ['invalid_number', 'refused']);
    assert.equal((await status(r.body.id)).attempts.length, 1);
  });

  it('a carrier report of non-delivery ends undelivered', async () => {
    const r = await t.call('POST', '/v1/messages', { to: '+15005550005', body: 'to a dead phone' });
    const m = await until(r.body.id, 'undelivered');
    assert.deepEqual([m.error.code, m.error.provider_code], ['unreachable', '30003']);
  });

  it('a scheduled message waits for its time, then goes out', async () => {
    const at = new Date(Date.now() + 600).toISOString();
    const r = await t.call('POST', '/v1/messages', { to: '+14155550100', body: 'later', send_at: at });
    assert.equal(r.body.status, 'scheduled');
    const m = await until(r.body.id, 'delivered');
    // No attempt started before send_at: it waited for its time.
    const attempts = await t.ctx().store.listAttempts(r.body.id);
    assert.ok(attempts.length >= 1);
    assert.ok(attempts.every((a) => a.started_at >= Date.parse(at)), 'not sent before its time');
    assert.ok(Date.parse(m.sent_at) >= Date.parse(at));
  });

  it('counts accepted and final messages in the metrics', async () => {
    const metrics = (await t.call('GET', '/metrics')).body as string;
    assert.match(metrics, /switchboard_messages_accepted_total [1-9]/);
    assert.match(metrics, /switchboard_messages_final_total\{status="delivered"\} [1-9]/);
    assert.match(metrics, /switchboard_send_attempts_total\{provider="simulator",outcome="transient"\} [1-9]/);
  });
});

describe('expiry and shutdown', () => {
  it('a message past its validity period expires instead of being sent', async () => {
    // No worker runs while the message waits out its validity period.
    const api = await startApp({ role: 'api' });
    try {
      const r = await api.call('POST', '/v1/messages', { to: '+14155550100', body: 'too late', validity_period: 1 });
      assert.ok(r.body.expires_at);
      await new Promise((res) => setTimeout(res, 1100));
      const worker = await startApp({ role: 'worker', databaseUrl: `sqlite:${api.dataDir}/switchboard.db` });
      try {
        const m = await eventually(async () => { const x = await api.ctx().store.getMessage(null, r.body.id); return x?.status === 'expired' && x; });
        assert.equal(m.error_code, 'validity_period_expired');
        assert.equal((await api.ctx().store.listAttempts(r.body.id)).length, 0);
      } finally { await worker.stop(); }
    } finally { await api.stop(); }
  });

  it('stopping finishes in-flight sends and leaves no message leased', async () => {
    const t = await startApp({ simulatorLatencyMs: 300 });
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await t.call('POST', '/v1/messages', { to: '+14155550100', body: `m${i}` })).body.id);
    await eventually(async () => (await t.app.ctx.store.getMessages(ids)).some((m) => m.status === 'sending'));
    const store = t.app.ctx.store;
    await t.app.stop();
    // reopen the file: every message was either sent or put back, none left leased
    const { SqliteStore } = await import('../../src/store/sqlite/sqlite-store.ts');
    const reopened = new SqliteStore(`${t.dataDir}/switchboard.db`);
    try {
      const rows = await reopened.getMessages(ids);
      assert.equal(rows.length, 20);
      assert.ok(rows.every((m) => m.status !== 'sending'), rows.map((m) => m.status).join(','));
      assert.ok(rows.every((m) => m.lease_owner === null));
    } finally { await reopened.close(); void store; }
  });
});
