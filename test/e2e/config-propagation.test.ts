// Configuration reaching every process, on PostgreSQL with an api process and a worker
// (each its own connection pool, as separate processes are). The periodic re-read is set
// to ten minutes here, so what the worker does within the test can only have come from
// the database's NOTIFY. What a user relies on: a worker started before any provider
// exists sends nothing through the simulator (it is off on PostgreSQL unless asked for)
// and holds messages with `no_provider_configured`; it routes through a provider as soon
// as one is created on the api; a provider deactivated on the api takes no more sends,
// yet every receipt still on its way from it is applied, and the parts whose receipts
// are lost are reconciled with it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, eventually, type TestApp } from '../helpers/app.ts';
import { freePort } from '../helpers/net.ts';
import { makePostgresStore, testSchema } from '../helpers/stores.ts';
import { pgSkip, TEST_DATABASE_URL } from '../helpers/env.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { TwilioFake, FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN } from '../../src/sandbox/twilio.ts';
import type { MessageRow } from '../../src/store/rows.ts';

const TOKEN_ENV = 'TWILIO_PROPAGATION_TOKEN';
const NEVER = 600_000;

async function deployment(schema: string): Promise<{ api: TestApp; worker: TestApp }> {
  const pg = () => new PostgresStore(TEST_DATABASE_URL, { schema, max: 4 });
  // The simulator as a PostgreSQL deployment has it by default: off.
  // Both share the public URL, as one deployment's processes do: the worker's sends ask for receipts at the api.
  const port = await freePort();
  const common = { simulator: 'auto', configPollMs: NEVER, reconcileAfterMs: 300, reconcileEveryMs: 100, publicUrl: `http://127.0.0.1:${port}` };
  const worker = await startApp({ ...common, role: 'worker' }, { store: pg() });
  const api = await startApp({ ...common, role: 'api', port }, { store: pg() });
  return { api, worker };
}

const twilioProvider = (id: string, fake: TwilioFake, priority: number) => ({
  id, kind: 'twilio', priority, prices: { US: '0.0079' },
  config: { account_sid: FAKE_ACCOUNT_SID, auth_token_env: TOKEN_ENV, base_url: fake.url, from: '+14155550400' },
});

function counts(rows: MessageRow[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const m of rows) { const k = `${m.status}${m.error_code ? `/${m.error_code}` : ''}`; c[k] = (c[k] ?? 0) + 1; }
  return c;
}

describe('configuration reaches every process at once', { skip: pgSkip }, () => {
  it('a worker started before any provider sends nothing through the simulator, waits with no_provider_configured, and routes through the first provider once the api creates it', async (t) => {
    process.env[TOKEN_ENV] = FAKE_AUTH_TOKEN;
    const schema = testSchema();
    const owner = await makePostgresStore(schema);
    const fake = await new TwilioFake().start();
    const { api, worker } = await deployment(schema);
    try {
      const ready = await fetch(`${api.url}/readyz`).then((r) => r.json()) as { simulator: boolean };
      assert.equal(ready.simulator, false, '/readyz says the simulator is not serving');
      assert.equal(worker.ctx().registry.simulating(), false);
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) {
        const r = await api.call('POST', '/v1/messages', { to: '+14155550100', body: `before any provider ${i}` });
        assert.equal(r.status, 202, JSON.stringify(r.body));
        ids.push(r.body.id);
      }
      const waiting = await eventually(async () => {
        const rows = await owner.store.getMessages(ids);
        return rows.every((m) => m.status === 'queued' && m.error_code === 'no_provider_configured') && rows;
      }, 20_000, 'every message to wait for a provider').catch(async (err) => { throw new Error(`${err.message}: ${JSON.stringify(counts(await owner.store.getMessages(ids)))}`); });
      assert.deepEqual(waiting.filter((m) => m.provider_id !== null), [], 'nothing was sent anywhere');
      const shown = await api.call('GET', `/v1/messages/${ids[0]}`);
      assert.equal(shown.body.error.code, 'no_provider_configured', 'the caller sees why it waits');
      assert.equal(shown.body.simulated, false);

      const created = Date.now();
      const p = await api.call('POST', '/v1/providers', twilioProvider('twilio', fake, 1));
      assert.equal(p.status, 201, JSON.stringify(p.body));
      await eventually(async () => fake.requests.length > 0, 60_000, 'the worker to send through the new provider');
      t.diagnostic(`first send through the new provider ${Date.now() - created} ms after it was created (the periodic re-read is ${NEVER} ms)`);
      const rows = await eventually(async () => {
        const r = await owner.store.getMessages(ids);
        return r.every((m) => m.status === 'delivered') && r;
      }, 60_000, 'every waiting message delivered through Twilio').catch(async (err) => {
        const rows = await owner.store.getMessages(ids);
        const stuck = rows.filter((m) => m.status !== 'delivered').map((m) => ({ id: m.id, status: m.status, sid: m.provider_message_id, at_fake: fake.messages.get(m.provider_message_id ?? '')?.status, fetched: fake.fetches.filter((f) => f === m.provider_message_id).length }));
        const hooks = (await owner.store.listWebhooks({})).filter((h) => stuck.some((x) => x.sid && h.body.includes(x.sid))).map((h) => ({ processed: h.processed_at, error: h.error, attempts: (h as { attempts?: number }).attempts }));
        throw new Error(`${err.message}: ${JSON.stringify(counts(rows))}, ${fake.requests.length} sent; stuck ${JSON.stringify(stuck)}; their webhooks ${JSON.stringify(hooks)}`);
      });
      assert.deepEqual([...new Set(rows.map((m) => m.provider_id))], ['twilio']);
      assert.ok(rows.every((m) => m.simulated === 0));
      assert.equal(fake.requests.filter((q) => q.sid).length, 20, 'each sent once');
      const metrics = await worker.ctx().metrics.registry.metrics();
      assert.doesNotMatch(metrics, /switchboard_simulated_sends_total\{/, 'no simulated send');
    } finally {
      await api.stop();
      await worker.stop();
      await fake.stop();
      await owner.dispose();
      delete process.env[TOKEN_ENV];
    }
  });

  it('a provider deactivated on the api takes no more sends from the worker, and its 100 messages in flight still reach their final status from its receipts and from reconciliation', async () => {
    process.env[TOKEN_ENV] = FAKE_AUTH_TOKEN;
    const schema = testSchema();
    const owner = await makePostgresStore(schema);
    const [a, b] = [await new TwilioFake().start(), await new TwilioFake().start()];
    const { api, worker } = await deployment(schema);
    try {
      assert.equal((await api.call('POST', '/v1/providers', twilioProvider('a', a, 1))).status, 201);
      assert.equal((await api.call('POST', '/v1/providers', twilioProvider('b', b, 2))).status, 201);
      // Provider a's receipts come late; for one destination in four they never come (only its status API knows).
      a.plan = { statuses: ['sent', 'delivered'], delayMs: 1_500 };
      a.plans.set('+14155550199', { statuses: ['sent', 'delivered'], delayMs: 1_500, lost: true });
      const send = async (i: number) => {
        const r = await api.call('POST', '/v1/messages', { to: i % 4 === 0 ? '+14155550199' : '+14155550100', body: `in flight ${i}` });
        assert.equal(r.status, 202, JSON.stringify(r.body));
        return r.body.id as string;
      };
      const inFlight = await Promise.all(Array.from({ length: 100 }, (_, i) => send(i)));
      await eventually(async () => (await owner.store.getMessages(inFlight)).every((m) => m.status === 'sent' || m.status === 'delivered'), 60_000, 'all 100 sent through a');
      assert.equal(a.requests.filter((q) => q.sid).length, 100);

      const off = await api.call('DELETE', '/v1/providers/a');
      assert.ok(off.status === 200 || off.status === 204, JSON.stringify(off.body));
      const after = await eventually(async () => {
        const id = await send(1000);
        const m = await eventually(async () => { const [x] = await owner.store.getMessages([id]); return x.status !== 'queued' && x.status !== 'sending' && x; }, 30_000, 'a send after the change');
        return m.provider_id === 'b' && m;
      }, 30_000, 'the worker to route by the change');
      assert.equal(after.provider_id, 'b');

      const rows = await eventually(async () => {
        const r = await owner.store.getMessages(inFlight);
        return r.every((m) => m.status === 'delivered') && r;
      }, 60_000, 'every message a had in flight delivered').catch(async (err) => { throw new Error(`${err.message}: ${JSON.stringify(counts(await owner.store.getMessages(inFlight)))}`); });
      assert.ok(rows.every((m) => m.provider_id === 'a'));
      const lost = rows.filter((m) => m.to_number === '+14155550199').map((m) => m.provider_message_id!);
      assert.equal(lost.length, 25);
      assert.ok(lost.every((sid) => a.fetches.includes(sid)), 'the lost receipts were fetched from the deactivated provider');
      const hooks = await owner.store.listWebhooks({});
      assert.deepEqual(hooks.filter((h) => h.error).map((h) => h.error).slice(0, 3), [], 'every receipt of a was applied');
    } finally {
      await api.stop();
      await worker.stop();
      await a.stop();
      await b.stop();
      await owner.dispose();
      delete process.env[TOKEN_ENV];
    }
  });
});
