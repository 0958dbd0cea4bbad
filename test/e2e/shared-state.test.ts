// Shared state across processes through Redis: two Switchboards that share nothing but
// Redis (each its own ledger) agree on a provider's circuit. One sees the outage; the
// other, which never sent to that provider, stops sending to it. When Redis becomes
// unreachable both carry on with per-process health and limits, say `degraded` on
// /readyz and in a metric, lose and double-send nothing, and rejoin when it returns.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { eventually, startApp, type TestApp } from '../helpers/app.ts';
import { freePort } from '../helpers/net.ts';
import { redisSkip, TEST_REDIS_URL } from '../helpers/env.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';
import { TwilioFake, FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN } from '../../src/sandbox/twilio.ts';

const TOKEN_ENV = 'TWILIO_SHARED_STATE_TOKEN';

describe('state shared through Redis', { skip: redisSkip }, () => {
  let flaky: TwilioFake;
  let steady: TwilioFake;
  let proxy: TcpProxy;
  const apps: TestApp[] = [];

  const app = async (prefix: string) => {
    const port = await freePort();
    const t = await startApp({
      port, publicUrl: `http://127.0.0.1:${port}`, redisUrl: proxy.url(TEST_REDIS_URL), redisPrefix: prefix,
      healthMinSamples: 5, healthErrorThreshold: 0.5, circuitOpenMs: 120_000, sendTimeoutMs: 2_000, maxFailovers: 1, sharedSyncMs: 100,
    });
    apps.push(t);
    for (const [id, fake, price] of [['flaky', flaky, '0.0050'], ['steady', steady, '0.0100']] as const) {
      const r = await t.call('POST', '/v1/providers', { id, kind: 'twilio', prices: { US: price }, config: { account_sid: FAKE_ACCOUNT_SID, auth_token_env: TOKEN_ENV, base_url: fake.url, from: id === 'flaky' ? '+14155550301' : '+14155550302' } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const n = await t.call('POST', '/v1/numbers', { number: id === 'flaky' ? '+14155550301' : '+14155550302', provider_id: id, rate_per_second: 100 });
      assert.equal(n.status, 201, JSON.stringify(n.body));
    }
    return t;
  };

  before(async () => {
    process.env[TOKEN_ENV] = FAKE_AUTH_TOKEN;
    flaky = await new TwilioFake().start();
    steady = await new TwilioFake().start();
    proxy = await new TcpProxy(TEST_REDIS_URL).start();
  });
  after(async () => {
    for (const t of apps) await t.stop();
    await flaky.stop(); await steady.stop(); await proxy.stop();
    delete process.env[TOKEN_ENV];
  });

  it('one process sees a provider fail; the other stops sending to it', async () => {
    const prefix = `test:${randomBytes(4).toString('hex')}:`;
    const a = await app(prefix);
    const b = await app(prefix);
    flaky.outage = { kind: 'error', status: 503, code: 20500 };
    // A's sends fail at flaky and fail over to steady, until A's circuit opens.
    for (let i = 0; i < 6; i++) {
      const r = await a.call('POST', '/v1/messages?wait=5', { to: `+1415555${1100 + i}`, body: 'outage' });
      assert.equal(r.body.status, 'sent');
    }
    assert.equal(a.ctx().health.state('flaky', Date.now()), 'open');
    // B never sent to flaky, yet learns of the open circuit (published at once).
    await eventually(async () => b.ctx().health.state('flaky', Date.now()) === 'open', 5_000, "B to see A's open circuit");
    const before = flaky.requests.length;
    for (let i = 0; i < 3; i++) {
      const r = await b.call('POST', '/v1/messages?wait=5', { to: `+1415555${1200 + i}`, body: 'after the outage' });
      assert.deepEqual([r.body.status, r.body.provider], ['sent', 'steady']);
    }
    assert.equal(flaky.requests.length, before, 'B sent nothing to the provider A found dead');
    // A third process that starts now learns it from the circuit kept in Redis.
    const c = await app(prefix);
    await eventually(async () => c.ctx().health.state('flaky', Date.now()) === 'open', 5_000, 'a new process to see the open circuit');
    // And the error rate is every process's: C reports A's failures.
    assert.ok(c.ctx().health.view('flaky', Date.now()).errors >= 5);
    flaky.outage = null;
    // These three are done: stopped now, so the Redis outage of the next test is not theirs.
    for (const x of apps.splice(0)) await x.stop();
  });

  it('Redis unreachable: sending goes on per process, readiness and a metric say degraded, and it rejoins', async () => {
    const prefix = `test:${randomBytes(4).toString('hex')}:`;
    const a = await app(prefix);
    assert.equal((await a.call('GET', '/readyz')).body.status, 'ready');
    proxy.cut();
    try {
      const sent: string[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await a.call('POST', '/v1/messages?wait=5', { to: `+1415555${1300 + i}`, body: 'redis is down' });
        assert.equal(r.body.status, 'sent', JSON.stringify(r.body));
        sent.push(r.body.id);
      }
      const ready = await eventually(async () => { const r = await a.call('GET', '/readyz'); return r.body.status === 'degraded' && r.body.degraded.length === 2 && r; }, 5_000, 'readiness to say degraded, for limits and health');
      assert.equal(ready.status, 200, 'degraded is still ready: the process sends');
      assert.deepEqual(ready.body.degraded, ['redis unreachable: rate limits are per process', 'redis unreachable: provider health is per process']);
      assert.match((await a.call('GET', '/metrics')).body, /switchboard_shared_state_degraded 1/);
      proxy.restore();
      await eventually(async () => (await a.call('GET', '/readyz')).body.status === 'ready', 10_000, 'readiness back to ready');
      assert.match((await a.call('GET', '/metrics')).body, /switchboard_shared_state_degraded 0/);
      for (const id of sent) {
        const attempts = await a.ctx().store.listAttempts(id);
        assert.equal(attempts.filter((x) => x.outcome === 'sent').length, 1, 'each sent once');
      }
    } finally {
      proxy.restore();
    }
  });
});
