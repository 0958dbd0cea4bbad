// Scale-out on PostgreSQL: one API process and two workers share one database; every
// message is sent exactly once, both workers take part, and NOTIFY wakes them: for a
// message the api queued, and for a receipt the api stored.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, eventually, type TestApp } from '../helpers/app.ts';
import { makePostgresStore, testSchema } from '../helpers/stores.ts';
import { pgSkip } from '../helpers/env.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { TEST_DATABASE_URL } from '../helpers/env.ts';
import { freePort } from '../helpers/net.ts';
import { TwilioFake, FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN } from '../../src/sandbox/twilio.ts';

const TOKEN_ENV = 'TWILIO_RECEIPT_WAKE_TOKEN';
const NEVER = 600_000;

describe('several workers on PostgreSQL', { skip: pgSkip }, () => {
  it('share the queue without sending any message twice', async () => {
    const schema = testSchema();
    const owner = await makePostgresStore(schema);
    const apps: TestApp[] = [];
    try {
      // A poll slower than the whole test may take: only NOTIFY can wake an idle worker in
      // time. (Under a loaded CI machine delivery takes 10-25 s; without NOTIFY nothing
      // would be claimed before the 60 s poll.) A backlog more than one worker can hold (8 sends
      // at once each, 100 ms a send): a worker that keeps claiming must not keep it to itself.
      const worker = () => startApp({ role: 'worker', simulator: 'on', pollMs: 60_000, simulatorLatencyMs: 100, workerBatchSize: 20, workerConcurrency: 8 }, { store: new PostgresStore(TEST_DATABASE_URL, { schema, max: 4 }) });
      apps.push(await worker(), await worker());
      // The api's NOTIFYs paced as a server's are (one a batch window): a message whose insert
      // did not notify is woken by the one that follows its window.
      const api = await startApp({ role: 'api', simulator: 'on' }, { store: new PostgresStore(TEST_DATABASE_URL, { schema, max: 4, notifyEveryMs: 20 }) });
      apps.push(api);
      const N = 300;
      const started = Date.now();
      const ids = await Promise.all(Array.from({ length: N }, (_, i) => api.call('POST', '/v1/messages', { to: '+14155550100', body: `pg ${i}` }).then((r) => r.body.id as string)));
      const rows = await eventually(async () => {
        const r = await owner.store.getMessages(ids);
        return r.every((m) => m.status === 'delivered') && r;
      }, 50_000, 'all messages delivered').catch(async (err) => {
        const r = await owner.store.getMessages(ids);
        const counts: Record<string, number> = {};
        for (const m of r) counts[m.status] = (counts[m.status] ?? 0) + 1;
        const hooks = await owner.store.listWebhooks({});
        throw new Error(`${err.message}: ${JSON.stringify(counts)}; webhooks ${hooks.length}, unprocessed ${hooks.filter((h) => !h.processed_at).length}, errors ${JSON.stringify([...new Set(hooks.map((h) => h.error))])}`);
      });
      assert.ok(Date.now() - started < 55_000, 'woken by NOTIFY, not by the 60 s poll');
      assert.equal(rows.length, N);
      let attempts = 0;
      for (const id of ids) attempts += (await owner.store.listAttempts(id)).length;
      assert.equal(attempts, N, 'exactly one send per message');
      const perWorker = await Promise.all(apps.slice(0, 2).map(async (a) => (await a.ctx().metrics.attempts.get()).values.reduce((s, v) => s + v.value, 0)));
      assert.ok(perWorker.every((n) => n > 0), `both workers sent: ${perWorker}`);
    } finally {
      for (const a of apps) await a.stop();
      await owner.dispose();
    }
  });

  it('a receipt the api stores is applied by a worker at once: a NOTIFY wakes its webhook processor, not its next poll', async () => {
    // Providers post receipts to the deployment's public URL, which the api processes
    // serve; the workers apply them. The worker's poll is slower than the test may take.
    process.env[TOKEN_ENV] = FAKE_AUTH_TOKEN;
    const schema = testSchema();
    const owner = await makePostgresStore(schema);
    const fake = await new TwilioFake().start();
    const port = await freePort();
    const common = { simulator: 'off', publicUrl: `http://127.0.0.1:${port}`, reconcileAfterMs: NEVER, reconcileEveryMs: NEVER };
    const pg = () => new PostgresStore(TEST_DATABASE_URL, { schema, max: 4, notifyEveryMs: 20 });
    const worker = await startApp({ ...common, role: 'worker', pollMs: NEVER }, { store: pg() });
    const api = await startApp({ ...common, role: 'api', port }, { store: pg() });
    try {
      const p = await api.call('POST', '/v1/providers', {
        id: 'twilio', kind: 'twilio', priority: 1, prices: { US: '0.0079' },
        config: { account_sid: FAKE_ACCOUNT_SID, auth_token_env: TOKEN_ENV, base_url: fake.url, from: '+14155550400' },
      });
      assert.equal(p.status, 201, JSON.stringify(p.body));
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await api.call('POST', '/v1/messages', { to: '+14155550100', body: `receipt ${i}` })).body.id);
      await eventually(async () => (await owner.store.getMessages(ids)).every((m) => m.status === 'delivered'), 30_000, 'every message delivered').catch(async (err) => {
        const hooks = await owner.store.listWebhooks({});
        throw new Error(`${err.message}: ${JSON.stringify((await owner.store.getMessages(ids)).map((m) => m.status))}; webhooks ${hooks.length}, unprocessed ${hooks.filter((h) => !h.processed_at).length}`);
      });
      // Twilio posts more than one status a message (sent, delivered): each is applied, none waits for the poll.
      await eventually(async () => {
        const hooks = await owner.store.listWebhooks({ providerId: 'twilio' });
        return hooks.length >= 5 && hooks.every((h) => h.processed_at !== null);
      }, 30_000, 'every receipt that came in through the api, stored raw, applied');
    } finally {
      await api.stop();
      await worker.stop();
      await fake.stop();
      await owner.dispose();
      delete process.env[TOKEN_ENV];
    }
  });
});
