// Chaos on PostgreSQL + Redis: one API process and three worker processes share one
// database; 3,000 messages go to a provider that is slow and refuses 10 % of sends, while
// a random worker is killed with SIGKILL every second for ten seconds and restarted.
// Every accepted message must reach a final status, none may be lost, every receipt must
// be applied, and the sends the provider got twice may not outnumber the attempts that
// were in flight in the killed workers.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Pool } from 'undici';
import { eventually } from '../helpers/app.ts';
import { freePort } from '../helpers/net.ts';
import { makePostgresStore, testSchema } from '../helpers/stores.ts';
import { pgSkip, redisSkip, TEST_DATABASE_URL, TEST_REDIS_URL } from '../helpers/env.ts';
import { TwilioFake, FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN } from '../../src/sandbox/twilio.ts';

const MAIN = join(import.meta.dirname, '../../src/main.ts');
const KEY = 'chaos-test-admin-key';
const N = 3_000;
const FINAL = new Set(['delivered', 'undelivered', 'failed', 'expired', 'canceled']);

describe('chaos: kill -9 workers on PostgreSQL and Redis', { skip: pgSkip || redisSkip }, () => {
  it('loses nothing, finishes everything, and duplicates no more than were in flight', async (t) => {
    const schema = testSchema();
    const owner = await makePostgresStore(schema);
    const db = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 2, options: `-c search_path=${schema}` });
    const fake = await new TwilioFake().start();
    fake.latencyMs = () => 20 + Math.random() * 80;
    fake.failureRate = 0.1;
    fake.plan = { statuses: ['sent', 'delivered'], delayMs: 30 };
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const url = new URL(TEST_DATABASE_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    const env = {
      PATH: process.env.PATH, NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE, LOG_LEVEL: 'error', HOST: '127.0.0.1', DATABASE_URL: url.toString(), REDIS_URL: TEST_REDIS_URL,
      SWITCHBOARD_REDIS_PREFIX: `chaos:${randomBytes(4).toString('hex')}:`, SWITCHBOARD_DB_POOL_SIZE: '4',
      PUBLIC_URL: base, SWITCHBOARD_ADMIN_KEY: KEY, TWILIO_CHAOS_TOKEN: FAKE_AUTH_TOKEN,
      SWITCHBOARD_LEASE_MS: '10000', SWITCHBOARD_POLL_MS: '200', SWITCHBOARD_BACKOFF_BASE_MS: '50', SWITCHBOARD_BACKOFF_MAX_MS: '500',
      SWITCHBOARD_MAX_ATTEMPTS: '8', SWITCHBOARD_HEALTH_ERROR_THRESHOLD: '0.5', SWITCHBOARD_SHUTDOWN_DRAIN_MS: '0',
    };
    const spawnRole = (role: 'api' | 'worker') => spawn(process.execPath, [MAIN, '--role', role], { env: { ...env, PORT: role === 'api' ? String(port) : '0' }, stdio: ['ignore', 'ignore', 'inherit'] });
    const api = spawnRole('api');
    const workers: ChildProcess[] = [];
    const http = new Pool(base, { connections: 16 });
    try {
      await eventually(async () => (await fetch(`${base}/readyz`).catch(() => null))?.status === 200, 30_000, 'the API to be ready');
      const call = async (method: string, path: string, body: unknown) => {
        const res = await http.request({ path, method, headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
        return { status: res.statusCode, body: await res.body.json() as Record<string, unknown> };
      };
      const p = await call('POST', '/v1/providers', { id: 'chaotic', kind: 'twilio', prices: { US: '0.0079' }, config: { account_sid: FAKE_ACCOUNT_SID, auth_token_env: 'TWILIO_CHAOS_TOKEN', base_url: fake.url, from: '+14155550400' } });
      assert.equal(p.status, 201, JSON.stringify(p.body));
      for (let i = 0; i < 3; i++) workers.push(spawnRole('worker'));

      // Intake, 16 at a time, while the kills go on.
      const accepted: string[] = [];
      let next = 0;
      const submit = async () => {
        while (next < N) {
          const i = next++;
          const r = await call('POST', '/v1/messages', { to: `+1415${String(5_550_000 + (i % 9_000)).padStart(7, '0')}`, body: `chaos ${i}` });
          assert.equal(r.status, 202, JSON.stringify(r.body));
          accepted.push(r.body.id as string);
        }
      };
      const intake = Promise.all(Array.from({ length: 16 }, submit));
      // The kills start once the workers send: on a slow machine a worker can take seconds
      // to start, and a kill before then proves nothing.
      await eventually(async () => fake.requests.length >= 50, 60_000, 'the workers to be sending');

      // Ten kills, a second apart; each counts what the victim had in flight.
      let inFlightAtKills = 0;
      const kills: { pid: number; inFlight: number }[] = [];
      for (let k = 0; k < 10; k++) {
        await new Promise((r) => setTimeout(r, 1_000));
        const i = Math.floor(Math.random() * workers.length);
        const victim = workers[i];
        victim.kill('SIGKILL');
        await new Promise((res) => (victim.exitCode !== null || victim.signalCode !== null ? res(null) : victim.once('exit', res)));
        // What it held when it died: a dead process changes nothing, and no other worker
        // takes its rows before their lease (10 s) runs out. (The lease is long enough that
        // a live worker slowed by this busy machine does not lose its own leases: that
        // would be a duplicate no kill caused.)
        const r = await db.query(`SELECT count(*)::int AS n FROM messages WHERE status = 'sending' AND lease_owner LIKE $1`, [`%:${victim.pid}:%`]);
        kills.push({ pid: victim.pid!, inFlight: r.rows[0].n });
        inFlightAtKills += r.rows[0].n;
        workers[i] = spawnRole('worker');
      }
      await intake;
      assert.equal(accepted.length, N);
      const intakeDone = Date.now();

      const rows = await eventually(async () => {
        const r = await owner.store.getMessages(accepted);
        return r.length === N && r.every((m) => FINAL.has(m.status)) && r;
      }, 100_000, 'every accepted message to reach a final status').catch(async (err) => {
        const r = await db.query('SELECT status, count(*)::int AS n FROM messages GROUP BY status');
        throw new Error(`${err.message}: ${JSON.stringify(r.rows)}`);
      });
      assert.equal(rows.length, N, 'none lost');
      const finalAfter = Date.now() - intakeDone;
      // Receipts: every message the provider took reached delivered through its callbacks.
      // (A receipt for a send whose answer died with its worker names no part: it waits, unmatched, as it should.)
      const pending = `SELECT count(*)::int AS n FROM webhooks w WHERE processed_at IS NULL
        AND EXISTS (SELECT 1 FROM message_parts p WHERE strpos(w.body, p.provider_message_id) > 0)`;
      await eventually(async () => (await db.query(pending)).rows[0].n === 0, 60_000, 'every receipt for a known part processed');
      const byStatus: Record<string, number> = {};
      for (const m of rows) byStatus[m.status] = (byStatus[m.status] ?? 0) + 1;
      const taken = new Map<string, number>();
      for (const q of fake.requests) if (q.sid) taken.set(q.form.get('Body')!, (taken.get(q.form.get('Body')!) ?? 0) + 1);
      const undeliveredTaken = rows.filter((m) => taken.has(m.body) && m.status !== 'delivered');
      assert.deepEqual(undeliveredTaken.map((m) => [m.id, m.status]), [], 'every message the provider took is delivered');
      let duplicates = 0;
      for (const n of taken.values()) duplicates += n - 1;
      const refused = fake.requests.filter((q) => !q.sid).length;
      // At least once, as the README's guarantees say: a send is made again after a kill
      // mid-send, or after an answer that never came (a timeout or a dropped connection on
      // this busy machine: the provider may have taken it). Nothing else may duplicate.
      const unanswered = (await db.query(`SELECT count(*)::int AS n FROM attempts WHERE error_code IN ('timeout', 'network_error')`)).rows[0].n as number;
      t.diagnostic(`chaos: accepted ${N}, delivered ${byStatus.delivered ?? 0}, other final ${JSON.stringify(byStatus)}, lost ${N - rows.length}, kills ${kills.length}, in flight at kills ${inFlightAtKills}, sends unanswered ${unanswered}, duplicates at the provider ${duplicates}, provider refusals ${refused}, all final ${finalAfter} ms after intake ended`);
      assert.ok(duplicates <= inFlightAtKills + unanswered, `duplicates ${duplicates} ≤ in flight at the kills ${inFlightAtKills} + sends unanswered ${unanswered}`);
    } finally {
      for (const w of workers) w.kill('SIGKILL');
      api.kill('SIGKILL');
      await http.close();
      await fake.stop();
      await db.end();
      await owner.dispose();
    }
  });
});
