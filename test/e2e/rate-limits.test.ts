// Per-number send rates and per-key intake limits, end to end. A long code sends at most
// one message per second; messages beyond that wait in the queue and all go out.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, eventually, type TestApp } from '../helpers/app.ts';
import { freePort } from '../helpers/net.ts';
import { makePostgresStore, testSchema } from '../helpers/stores.ts';
import { pgSkip, redisSkip, TEST_DATABASE_URL, TEST_REDIS_URL } from '../helpers/env.ts';
import { TwilioFake, FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN } from '../../src/sandbox/twilio.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';

const TOKEN_ENV = 'TWILIO_TEST_RATE_TOKEN';
process.env[TOKEN_ENV] = FAKE_AUTH_TOKEN;

async function addProviderAndNumber(t: TestApp, fake: TwilioFake, number: Record<string, unknown>): Promise<void> {
  const p = await t.call('POST', '/v1/providers', { id: 'carrier', kind: 'twilio', prices: { '*': '0.0079' }, config: { account_sid: FAKE_ACCOUNT_SID, auth_token_env: TOKEN_ENV, base_url: fake.url } });
  assert.equal(p.status, 201, JSON.stringify(p.body));
  const n = await t.call('POST', '/v1/numbers', number);
  assert.equal(n.status, 201, JSON.stringify(n.body));
}

/**
 * Asserts the sends the fake received keep to `perSecond`. The limiter hands out slots
 * exactly one interval apart and a send never leaves before its slot, but what the fake
 * sees also carries each send's scheduling delay (this 2-core machine runs the test
 * files in parallel), which can make one gap short by that delay. So every pair of sends
 * i < j must be at least (j - i) intervals apart, less one delay of up to 60% of an
 * interval (400 ms at most): a limiter that let two through together, or sent at twice
 * the rate, fails this for some pair.
 */
function assertRate(fake: TwilioFake, perSecond: number): void {
  const at = fake.requests.map((r) => r.at).sort((a, b) => a - b);
  const interval = 1000 / perSecond;
  const delay = Math.min(400, interval * 0.6);
  for (let i = 0; i < at.length; i++) {
    for (let j = i + 1; j < at.length; j++) {
      assert.ok(at[j] - at[i] >= (j - i) * interval - delay, `sends ${i} and ${j} only ${at[j] - at[i]} ms apart at ${perSecond}/s: ${at.map((t) => t - at[0])}`);
    }
  }
}

describe('per-number send rate', () => {
  it('a long code at its default 1/s never sends faster; queued messages wait and all go out', async () => {
    const fake = await new TwilioFake().start();
    const port = await freePort();
    // A short wait budget, so some messages are put back in the queue instead of waiting in the worker.
    const t = await startApp({ port, publicUrl: `http://127.0.0.1:${port}`, rateWaitMs: 1_000 });
    try {
      await addProviderAndNumber(t, fake, { number: '+14155550101', provider_id: 'carrier' });
      assert.equal((await t.call('GET', '/v1/numbers/%2B14155550101')).body.rate_per_second, 1);
      const ids = await Promise.all(Array.from({ length: 5 }, async (_, i) => (await t.call('POST', '/v1/messages', { to: `+1415555020${i}`, body: `burst ${i}` })).body.id as string));
      const sawQueued = await eventually(async () => {
        const ms = await Promise.all(ids.map(async (id) => (await t.call('GET', `/v1/messages/${id}`)).body));
        return ms.some((m) => m.status === 'queued' && m.next_attempt_at) && true;
      }, 3_000, 'a message waiting in the queue for the number');
      assert.ok(sawQueued);
      const done = await eventually(async () => {
        const ms = await Promise.all(ids.map(async (id) => (await t.call('GET', `/v1/messages/${id}`)).body));
        return ms.every((m) => m.status === 'delivered' || m.status === 'sent') && ms;
      }, 10_000, 'all five sent');
      assert.equal(fake.requests.length, 5);
      assertRate(fake, 1);
      // Waiting for the number is not a failed attempt.
      for (const m of done) assert.deepEqual(m.attempts.map((a: { outcome: string }) => a.outcome), ['sent']);
    } finally {
      await t.stop();
      await fake.stop();
    }
  });

  it('two worker processes share a number\'s rate through Redis', { skip: pgSkip || redisSkip }, async () => {
    const fake = await new TwilioFake().start();
    const schema = testSchema();
    const owner = await makePostgresStore(schema);
    const apps: TestApp[] = [];
    try {
      const port = await freePort();
      const api = await startApp({ role: 'api', port, publicUrl: `http://127.0.0.1:${port}`, redisUrl: TEST_REDIS_URL }, { store: new PostgresStore(TEST_DATABASE_URL, { schema, max: 4 }) });
      apps.push(api);
      // Each test run limits its own number, so runs never share a Redis key.
      const number = `+1415555${String(Math.floor(Math.random() * 9000) + 1000)}`;
      await addProviderAndNumber(api, fake, { number, provider_id: 'carrier', rate_per_second: 2 });
      // At most 3 messages in flight per worker, so neither can take the whole queue while it waits for slots.
      const worker = () => startApp({ role: 'worker', redisUrl: TEST_REDIS_URL, workerBatchSize: 3, workerConcurrency: 3, publicUrl: `http://127.0.0.1:${port}` }, { store: new PostgresStore(TEST_DATABASE_URL, { schema, max: 4 }) });
      apps.push(await worker(), await worker());
      const ids = await Promise.all(Array.from({ length: 8 }, async (_, i) => (await api.call('POST', '/v1/messages', { to: `+1415555030${i}`, body: `shared ${i}` })).body.id as string));
      await eventually(async () => (await owner.store.getMessages(ids)).every((m) => m.status === 'sent' || m.status === 'delivered'), 15_000, 'all eight sent');
      assertRate(fake, 2);
      const perWorker = await Promise.all(apps.slice(1).map(async (a) => (await a.ctx().metrics.attempts.get()).values.reduce((s, v) => s + v.value, 0)));
      assert.ok(perWorker.every((n) => n > 0), `both workers sent: ${perWorker}`);
    } finally {
      for (const a of apps.reverse()) await a.stop();
      await owner.dispose();
      await fake.stop();
    }
  });
});

describe('per-key intake limit', () => {
  it('answers 429 with Retry-After beyond the burst, and keeps what it accepted', async () => {
    const t = await startApp({ keyRatePerSecond: 0.5, keyRateBurst: 2 });
    try {
      const send = (i: number) => t.call('POST', '/v1/messages', { to: '+14155550100', body: `limited ${i}` });
      const [a, b] = [await send(1), await send(2)];
      assert.equal(a.status, 202);
      assert.equal(b.status, 202);
      const c = await send(3);
      assert.equal(c.status, 429);
      assert.equal(c.body.error.code, 'rate_limited');
      assert.equal(c.headers.get('retry-after'), '2');
      for (const m of [a, b]) assert.equal((await t.call('GET', `/v1/messages/${m.body.id}`)).status, 200);
    } finally {
      await t.stop();
    }
  });
});
