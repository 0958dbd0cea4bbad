// Scale-out on PostgreSQL: one API process and two workers share one database; every
// message is sent exactly once, both workers take part, and NOTIFY wakes them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, eventually, type TestApp } from '../helpers/app.ts';
import { makePostgresStore, testSchema } from '../helpers/stores.ts';
import { pgSkip } from '../helpers/env.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { TEST_DATABASE_URL } from '../helpers/env.ts';

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
      const api = await startApp({ role: 'api', simulator: 'on' }, { store: new PostgresStore(TEST_DATABASE_URL, { schema, max: 4 }) });
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
});
