// Intake's hand-off: in a process that also sends, a message accepted while its worker
// has room is stored already claimed by that worker and sent without a claim. What a
// user relies on: the 202 still says `queued`; the ledger holds the worker's lease, so
// a process killed right after the 202 loses nothing (the lease runs out, another
// process sends it); a busy worker leaves new messages queued in the ledger; a refused
// or duplicate request gives its slot back.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { ADMIN_KEY, eventually, startApp, type TestApp } from '../helpers/app.ts';
import { freePort } from '../helpers/net.ts';
import { makePostgresStore, tempDir } from '../helpers/stores.ts';
import { pgSkip, TEST_DATABASE_URL } from '../helpers/env.ts';
import type { Store } from '../../src/store/store.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';

const MAIN = join(import.meta.dirname, '../../src/main.ts');

describe('intake hands messages to its own worker', () => {
  /** The hand-off as a user sees it: `store` for the app (its own SQLite file when absent), `look` opens a second connection to the ledger. */
  async function handedOver(store: Store | undefined, look: (app: TestApp) => Store): Promise<void> {
    // A slow provider keeps the first send in flight long enough to look at the ledger.
    const app = await startApp({ simulatorLatencyMs: 1_500 }, { store });
    const observer = look(app);
    try {
      const r = await app.call('POST', '/v1/messages', { to: '+14155550100', body: 'handed over' });
      assert.equal(r.status, 202);
      assert.equal(r.body.status, 'queued');
      const [stored] = await observer.getMessages([r.body.id]);
      assert.equal(stored.status, 'sending');
      assert.match(stored.lease_owner ?? '', new RegExp(`:${process.pid}:`), 'leased to this process\'s worker');
      assert.equal(stored.attempts, 1);
      assert.equal(Number(stored.updated_at), Number(stored.created_at), 'written once, already claimed: no claim updated it');
      const done = await eventually(async () => {
        const [m] = await observer.getMessages([r.body.id]);
        return m.status === 'delivered' && m;
      }, 20_000, 'the handed-off message to be delivered');
      assert.equal(done.attempts, 1);
      assert.equal(done.lease_owner, null);
      assert.equal((await observer.listAttempts(r.body.id)).length, 1, 'sent exactly once');
    } finally {
      if (observer instanceof SqliteStore) await observer.close();
      await app.stop();
    }
  }

  it('stores a message accepted with room as claimed by this process, answers queued, and sends it once', () =>
    handedOver(undefined, (app) => new SqliteStore(join(app.dataDir, 'switchboard.db'))));

  it('does the same on PostgreSQL', { skip: pgSkip }, async () => {
    const owner = await makePostgresStore();
    try {
      await handedOver(new PostgresStore(TEST_DATABASE_URL, { schema: owner.store.schema, max: 4 }), () => owner.store);
    } finally {
      await owner.dispose();
    }
  });

  it('leaves messages queued in the ledger while its worker has no free slot, and sends them all', async () => {
    const app = await startApp({ simulatorLatencyMs: 400, workerConcurrency: 2 });
    const observer = new SqliteStore(join(app.dataDir, 'switchboard.db'));
    try {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await app.call('POST', '/v1/messages', { to: '+14155550100', body: `slot ${i}` })).body.id);
      const rows = await observer.getMessages(ids);
      const leased = rows.filter((m) => m.lease_owner !== null);
      assert.ok(leased.length <= 2, `at most the worker's 2 slots are taken, found ${leased.length}`);
      assert.ok(rows.some((m) => m.status === 'queued' && m.lease_owner === null), 'the rest wait in the ledger');
      await eventually(async () => (await observer.getMessages(ids)).every((m) => m.status === 'delivered'), 20_000, 'every message to be delivered');
    } finally {
      await observer.close();
      await app.stop();
    }
  });

  it('gives the slot back when a request is a duplicate or refused', async () => {
    // One slot: a reservation not given back would stop this worker for good.
    const app = await startApp({ workerConcurrency: 1 });
    try {
      const key = { 'idempotency-key': 'handoff-dup' };
      const first = await app.call('POST', '/v1/messages', { to: '+14155550100', body: 'once' }, key);
      assert.equal(first.status, 202);
      const again = await app.call('POST', '/v1/messages', { to: '+14155550100', body: 'once' }, key);
      assert.equal(again.body.id, first.body.id);
      const stop = await app.call('POST', '/v1/opt-outs', { number: '+14155550111' });
      assert.ok(stop.status < 300, JSON.stringify(stop.body));
      const refused = await app.call('POST', '/v1/messages', { to: '+14155550111', body: 'refused' });
      assert.equal(refused.body.error?.code, 'recipient_opted_out');
      const later = await app.call('POST', '/v1/messages', { to: '+14155550100', body: 'after' });
      for (const id of [first.body.id, later.body.id]) {
        await eventually(async () => (await app.call('GET', `/v1/messages/${id}`)).body.status === 'delivered', 20_000, `${id} to be delivered`);
      }
    } finally {
      await app.stop();
    }
  });

  it('loses nothing when the process dies right after the 202: its leases run out and the next process sends', async () => {
    const dir = tempDir();
    const port = await freePort();
    const serve = (latencyMs: number): ChildProcess => spawn(process.execPath, [MAIN, 'serve'], {
      env: {
        PATH: process.env.PATH, NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE, SWITCHBOARD_DATA_DIR: dir.path, SWITCHBOARD_ADMIN_KEY: ADMIN_KEY, LOG_LEVEL: 'error', PORT: String(port), HOST: '127.0.0.1',
        SWITCHBOARD_SIMULATOR_LATENCY_MS: String(latencyMs), SWITCHBOARD_LEASE_MS: '1500', SWITCHBOARD_POLL_MS: '100',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const post = async (body: string) => {
      const res = await fetch(`http://127.0.0.1:${port}/v1/messages`, {
        method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ to: '+14155550100', body }),
      });
      assert.equal(res.status, 202);
      return ((await res.json()) as { id: string }).id;
    };
    const up = () => eventually(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok, 20_000, 'the server to start');
    // Its provider never answers in time: every send is in flight when it is killed.
    const first = serve(60_000);
    let second: ChildProcess | null = null;
    let observer: SqliteStore | null = null;
    try {
      await up();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await post(`killed after its 202 ${i}`));
      observer = new SqliteStore(join(dir.path, 'switchboard.db'));
      const before = await observer.getMessages(ids);
      assert.ok(before.every((m) => m.status === 'sending' && m.lease_owner !== null), 'all handed to the first process');
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      second = serve(0);
      const rows = await eventually(async () => {
        const r = await observer!.getMessages(ids);
        return r.every((m) => m.status === 'delivered') && r;
      }, 30_000, 'every message to be delivered by the next process');
      assert.ok(rows.every((m) => m.attempts === 2), 'each claimed again once its lease ran out');
    } finally {
      first.kill('SIGKILL');
      second?.kill('SIGTERM');
      if (second) await new Promise((r) => second!.once('exit', r));
      await observer?.close();
      dir.remove();
    }
  });
});
