// The database going away under load: PostgreSQL reached through a TCP proxy that drops
// every connection and refuses new ones, for 10 s under one `serve` process (role all)
// and, at the same time, for 60 s under separate api and worker processes. While it is
// away the processes stay up, /readyz answers 503 naming the database and intake answers
// 503 database_unavailable with Retry-After, quickly; once it is back, service resumes by
// itself within seconds, every message that got a 202 is delivered, and the provider got
// no more duplicates than the stated bound. Then a connection dropped during COMMIT never
// yields a 202 for an uncommitted message, and SQLite's full disk and read-only file
// answer 507/503 and resume.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Pool } from 'undici';
import { sql } from 'kysely';
import { startApp, eventually } from '../helpers/app.ts';
import { freePort } from '../helpers/net.ts';
import { makePostgresStore, makeSqliteStore, testSchema } from '../helpers/stores.ts';
import { pgSkip, TEST_DATABASE_URL } from '../helpers/env.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';
import { TwilioFake, FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN } from '../../src/sandbox/twilio.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';

const MAIN = join(import.meta.dirname, '../../src/main.ts');
const KEY = 'database-outage-admin-key';
const CONCURRENCY = 8;

interface Deployment {
  name: string;
  base: string;
  procs: ChildProcess[];
  proxy: TcpProxy;
  fake: TwilioFake;
  owner: Awaited<ReturnType<typeof makePostgresStore>>;
  http: Pool;
  /** 202s: id per idempotency key */
  accepted: Map<string, string>;
  /** answers while the database was cut */
  duringCut: { status: number; code?: string; retryAfter?: string | null; ms: number }[];
  readyDuringCut: { status: number; code?: string }[];
  /** switchboard_database_up as /metrics answered during the cut */
  upDuringCut: string[];
  cut: boolean;
}

async function deploy(name: string, roles: ('all' | 'api' | 'worker')[]): Promise<Deployment> {
  const schema = testSchema();
  const owner = await makePostgresStore(schema);
  const proxy = await new TcpProxy(TEST_DATABASE_URL).start();
  const fake = await new TwilioFake().start();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const url = new URL(proxy.url(TEST_DATABASE_URL));
  url.searchParams.set('options', `-c search_path=${schema}`);
  const env = {
    PATH: process.env.PATH, NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE, LOG_LEVEL: 'error', DATABASE_URL: url.toString(), SWITCHBOARD_DB_POOL_SIZE: '4',
    PUBLIC_URL: base, SWITCHBOARD_ADMIN_KEY: KEY, TWILIO_OUTAGE_TOKEN: FAKE_AUTH_TOKEN,
    SWITCHBOARD_LEASE_MS: '10000', SWITCHBOARD_POLL_MS: '200', SWITCHBOARD_SHUTDOWN_DRAIN_MS: '0', SWITCHBOARD_DATABASE_CHECK_MS: '500',
  };
  const procs = roles.map((role) => spawn(process.execPath, [MAIN, '--role', role], { env: { ...env, PORT: role === 'worker' ? '0' : String(port) }, stdio: ['ignore', 'ignore', 'inherit'] }));
  const d: Deployment = { name, base, procs, proxy, fake, owner, http: new Pool(base, { connections: CONCURRENCY }), accepted: new Map(), duringCut: [], readyDuringCut: [], upDuringCut: [], cut: false };
  await eventually(async () => (await fetch(`${base}/readyz`).catch(() => null))?.status === 200, 30_000, `${name}: the API to be ready`);
  const p = await call(d, 'POST', '/v1/providers', { id: 'twilio', kind: 'twilio', prices: { US: '0.0079' }, config: { account_sid: FAKE_ACCOUNT_SID, auth_token_env: 'TWILIO_OUTAGE_TOKEN', base_url: fake.url, from: '+14155550400' } });
  assert.equal(p.status, 201, JSON.stringify(p.body));
  return d;
}

async function call(d: Deployment, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await d.http.request({ path, method, headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body), headersTimeout: 30_000 });
  const text = await res.body.text();
  return { status: res.statusCode, body: text ? JSON.parse(text) : {}, retryAfter: res.headers['retry-after'] as string | undefined };
}

/** About 40 requests a second until `until()` says stop; a 503 is retried with the same key, as a client would. */
async function load(d: Deployment, until: () => boolean): Promise<void> {
  let n = 0;
  const one = async (key: string) => {
    for (;;) {
      const started = Date.now();
      const cut = d.cut;
      const r = await call(d, 'POST', '/v1/messages', { to: '+14155550100', body: `${d.name} outage ${key}` }, { 'idempotency-key': key }).catch((err) => ({ status: 0, body: { error: { code: String(err.code ?? err) } }, retryAfter: undefined }));
      if (cut && d.cut) d.duringCut.push({ status: r.status, code: r.body.error?.code, retryAfter: r.retryAfter ?? null, ms: Date.now() - started });
      if (r.status === 202 || r.status === 200) { d.accepted.set(key, r.body.id); return; }
      assert.ok(r.status === 503, `${d.name}: intake answered ${r.status} ${JSON.stringify(r.body)}`);
      await new Promise((res) => setTimeout(res, 250));
    }
  };
  const lanes = Array.from({ length: CONCURRENCY }, async (_, lane) => {
    while (!until()) {
      const tick = Date.now();
      await one(`${d.name}-${lane}-${n++}`);
      await new Promise((res) => setTimeout(res, Math.max(0, CONCURRENCY * 25 - (Date.now() - tick))));
    }
  });
  await Promise.all(lanes);
}

async function stop(d: Deployment): Promise<void> {
  for (const p of d.procs) if (p.exitCode === null && p.signalCode === null) { p.kill('SIGTERM'); await new Promise((r) => p.once('exit', r)); }
  await d.http.close();
  await d.proxy.stop();
  await d.fake.stop();
  await d.owner.dispose();
}

describe('the database going away', () => {
  it('PostgreSQL cut for 10 s under one serve process and for 60 s under api + worker: no crash, 503s, resumes, every 202 delivered', { skip: pgSkip, timeout: 200_000 }, async (t) => {
    const deployments: Deployment[] = [];
    try {
      deployments.push(await deploy('all', ['all']), await deploy('split', ['api', 'worker']));
      const cutFor = { all: 10_000, split: 60_000 };
      let stopLoad = false;
      const loads = deployments.map((d) => load(d, () => stopLoad));
      // Load for a while with the database up, then cut both.
      await eventually(async () => deployments.every((d) => d.fake.requests.length >= 20 && d.accepted.size >= 120), 60_000, 'both deployments to be taking and sending');
      const recovered = await Promise.all(deployments.map(async (d) => {
        d.cut = true;
        d.proxy.cut();
        const readiness = (async () => {
          while (d.cut) {
            const r = await fetch(`${d.base}/readyz`).then(async (res) => ({ status: res.status, code: (await res.json() as any).error?.code })).catch(() => ({ status: 0 }));
            // An answer that came after the cut ended (a slow check that straddled the restore, on a busy machine) is not one of the cut's.
            if (!d.cut) break;
            d.readyDuringCut.push(r);
            const up = await fetch(`${d.base}/metrics`).then(async (res) => `${res.status} ${/^switchboard_database_up (\d)/m.exec(await res.text())?.[1]}`).catch((err) => String(err));
            d.upDuringCut.push(up);
            await new Promise((res) => setTimeout(res, 500));
          }
        })();
        await new Promise((r) => setTimeout(r, cutFor[d.name as keyof typeof cutFor]));
        d.cut = false;
        d.proxy.restore();
        await readiness;
        const back = Date.now();
        await eventually(async () => (await fetch(`${d.base}/readyz`).catch(() => null))?.status === 200, 30_000, `${d.name}: ready again`);
        const sentBefore = d.fake.requests.length;
        await eventually(async () => d.fake.requests.length > sentBefore, 30_000, `${d.name}: sending again`);
        return Date.now() - back;
      }));
      stopLoad = true;
      await Promise.all(loads);

      for (const [i, d] of deployments.entries()) {
        for (const p of d.procs) assert.equal(p.exitCode, null, `${d.name}: every process stayed up (${p.exitCode})`);
        const intake = d.duringCut.filter((r) => r.status !== 0);
        assert.ok(intake.length > 10, `${d.name}: requests were made during the cut`);
        const bad = intake.filter((r) => r.status !== 503 || r.code !== 'database_unavailable' || r.retryAfter !== '5');
        assert.deepEqual(bad.slice(0, 3), [], `${d.name}: intake answers 503 database_unavailable with Retry-After during the cut`);
        const slowest = Math.max(...intake.map((r) => r.ms));
        assert.ok(slowest < 20_000, `${d.name}: no request waits for the database to come back (${slowest} ms)`);
        assert.ok(d.readyDuringCut.some((r) => r.status === 503 && r.code === 'database_unavailable'), `${d.name}: /readyz said the database was away: ${JSON.stringify(d.readyDuringCut.slice(0, 5))}`);
        assert.ok(d.readyDuringCut.every((r) => r.status !== 200 || d.readyDuringCut.indexOf(r) < 2), `${d.name}: /readyz never said ready during the cut`);
        assert.ok(recovered[i] < 15_000, `${d.name}: resumed ${recovered[i]} ms after the database came back`);
        t.diagnostic(`${d.name}: resumed ${recovered[i]} ms after the database came back; slowest intake answer during the cut ${slowest} ms`);
        assert.ok(d.upDuringCut.includes('200 0'), `${d.name}: /metrics answered switchboard_database_up 0 during the cut: ${JSON.stringify(d.upDuringCut.slice(0, 5))}`);
        // The next check after the database is back sets it to 1.
        const after = await eventually(async () => { const m = await fetch(`${d.base}/metrics`).then((res) => res.text()); return /^switchboard_database_up 1$/m.test(m) && m; }, 15_000, `${d.name}: switchboard_database_up 1 once it was back`);
        assert.match(after, /^switchboard_database_outages_total [1-9]/m);

        // Every 202 delivered, each sent once or within the bound.
        const ids = [...d.accepted.values()];
        assert.ok(ids.length > 100, `${d.name}: ${ids.length} accepted`);
        const rows = await eventually(async () => {
          const r = await d.owner.store.getMessages(ids);
          return r.length === ids.length && r.every((m) => m.status === 'delivered' || m.status === 'sent') && r;
        }, 60_000, `${d.name}: every accepted message sent`).catch(async (err) => {
          const r = await d.owner.store.getMessages(ids);
          const counts: Record<string, number> = {};
          for (const m of r) counts[m.status] = (counts[m.status] ?? 0) + 1;
          throw new Error(`${err.message}: ${r.length}/${ids.length} ${JSON.stringify(counts)}`);
        });
        assert.equal(rows.length, ids.length, 'none lost');
        const taken = new Map<string, number>();
        for (const q of d.fake.requests) if (q.sid) taken.set(q.form.get('Body')!, (taken.get(q.form.get('Body')!) ?? 0) + 1);
        const notTaken = rows.filter((m) => !taken.has(m.body));
        assert.deepEqual(notTaken.slice(0, 3).map((m) => [m.id, m.provider_id, m.status]), [], `${d.name}: the provider got every accepted message (${notTaken.length} did not)`);
        let duplicates = 0;
        for (const n of taken.values()) duplicates += n - 1;
        // The stated bound: a send whose outcome could not be written is sent again only if
        // its worker gave it up (stopping) and its lease ran out: at most the worker's
        // in-flight sends at the cut.
        assert.ok(duplicates <= 16, `${d.name}: ${duplicates} duplicate sends`);
        t.diagnostic(`${d.name}: ${ids.length} accepted, all sent; ${duplicates} duplicates at the provider`);
        const keys = new Set(d.accepted.keys());
        assert.equal(new Set(rows.map((m) => m.id)).size, keys.size, `${d.name}: one message per idempotency key`);
      }
    } finally {
      for (const d of deployments) await stop(d);
    }
  });

  it('a connection lost during COMMIT never yields a 202 for an uncommitted message; the retry with the key finds it', { skip: pgSkip }, async () => {
    const schema = testSchema();
    const owner = await makePostgresStore(schema);
    const proxy = await new TcpProxy(TEST_DATABASE_URL).start();
    const store = new PostgresStore(proxy.url(TEST_DATABASE_URL), { schema, max: 2 });
    const api = await startApp({ role: 'api' }, { store });
    try {
      for (const when of ['before', 'after'] as const) {
        const key = `drop-${when}`;
        const dropped = proxy.dropOn('commit', when);
        const body = { to: '+14155550100', body: `lost at ${when}` };
        const first = await api.call('POST', '/v1/messages', body, { 'idempotency-key': key });
        await dropped;
        assert.equal(first.status, 503, `${when}: ${JSON.stringify(first.body)}`);
        assert.equal(first.body.error.code, 'database_unavailable');
        const stored = (await sql<{ id: string }>`SELECT id FROM messages WHERE body = ${body.body}`.execute(owner.store.db)).rows;
        assert.equal(stored.length, when === 'after' ? 1 : 0, `${when}: committed or not, as the server saw it`);
        const retry = await eventually(async () => {
          const r = await api.call('POST', '/v1/messages', body, { 'idempotency-key': key });
          return r.status !== 503 && r;
        }, 15_000, 'the retry to be answered');
        assert.ok(retry.status === 202 || retry.status === 200, JSON.stringify(retry.body));
        if (when === 'after') assert.equal(retry.body.id, stored[0].id, 'the retry finds the committed message');
        const all = (await sql<{ id: string }>`SELECT id FROM messages WHERE body = ${body.body}`.execute(owner.store.db)).rows;
        assert.equal(all.length, 1, `${when}: exactly one message`);
      }
    } finally {
      await api.stop();
      await proxy.stop();
      await owner.dispose();
    }
  });

  for (const fault of ['full', 'read-only'] as const) {
    it(`SQLite ${fault}: intake answers ${fault === 'full' ? '507 storage_full' : '503 database_unavailable'}, keeps what it had, resumes when it clears`, async () => {
      const { store, dispose } = await makeSqliteStore();
      const sqlite = store as SqliteStore;
      const api = await startApp({ role: 'all' }, { store });
      try {
        const before = await api.call('POST', '/v1/messages', { to: '+14155550100', body: 'before the fault' });
        assert.equal(before.status, 202);
        const pages = (await sql<{ page_count: number }>`PRAGMA page_count`.execute(sqlite.db)).rows[0].page_count;
        if (fault === 'full') await sql.raw(`PRAGMA max_page_count = ${pages}`).execute(sqlite.db);
        else await sql`PRAGMA query_only = ON`.execute(sqlite.db);
        // A long body: it needs pages the file does not have.
        const answers = [];
        for (let i = 0; i < 5; i++) answers.push(await api.call('POST', '/v1/messages', { to: '+14155550100', body: `during the fault ${i} ${'x'.repeat(1500)}` }));
        const expected = fault === 'full' ? [507, 'storage_full'] : [503, 'database_unavailable'];
        assert.ok(answers.some((a) => a.status === expected[0] && a.body.error.code === expected[1]), JSON.stringify(answers.map((a) => [a.status, a.body.error?.code])));
        assert.ok(answers.every((a) => a.status === 202 || a.status === expected[0]), 'no other answer');
        const ready = await api.call('GET', '/readyz');
        assert.ok(ready.status === 200 || ready.status === 503, 'the process still answers');
        const kept = await api.call('GET', `/v1/messages/${before.body.id}`);
        assert.equal(kept.status, 200, 'what was accepted before is kept');
        if (fault === 'full') await sql.raw('PRAGMA max_page_count = 1073741823').execute(sqlite.db);
        else await sql`PRAGMA query_only = OFF`.execute(sqlite.db);
        const after = await api.call('POST', '/v1/messages', { to: '+14155550100', body: `after the fault ${'y'.repeat(1500)}` });
        assert.equal(after.status, 202, JSON.stringify(after.body));
        await eventually(async () => (await api.call('GET', `/v1/messages/${after.body.id}`)).body.status === 'delivered', 20_000, 'the message after the fault delivered');
      } finally {
        await api.stop();
        await dispose();
      }
    });
  }
});
