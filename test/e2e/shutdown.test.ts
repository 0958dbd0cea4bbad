// Graceful shutdown under load: `switchboard serve` gets SIGTERM while clients send as
// fast as they can. Readiness goes false first; clients that heed it (as a load balancer
// does) stop sending, and every request already sent gets an answer: no reset, no 503.
// Every accepted message is on disk, no lease is left to expire, and after a restart
// each is delivered once.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Pool } from 'undici';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { eventually, startApp, ADMIN_KEY } from '../helpers/app.ts';
import { freePort } from '../helpers/net.ts';
import { tempDir } from '../helpers/stores.ts';

const MAIN = join(import.meta.dirname, '../../src/main.ts');
const KEY = 'shutdown-test-admin-key';

function serve(dataDir: string, port: number): ChildProcess {
  return spawn(process.execPath, [MAIN, '--role', 'all'], {
    env: {
      PATH: process.env.PATH, NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE, SWITCHBOARD_DATA_DIR: dataDir, LOG_LEVEL: 'error', PORT: String(port), HOST: '127.0.0.1',
      SWITCHBOARD_ADMIN_KEY: KEY, SWITCHBOARD_SIMULATOR_LATENCY_MS: '40', SWITCHBOARD_POLL_MS: '100',
      SWITCHBOARD_SHUTDOWN_DRAIN_MS: '600', SWITCHBOARD_SHUTDOWN_TIMEOUT_MS: '10000',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

describe('graceful shutdown', () => {
  it('under load answers every request it received, loses nothing and leaves no lease behind', async () => {
    const dir = tempDir();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    let child = serve(dir.path, port);
    const pool = new Pool(base, { connections: 24, keepAliveTimeout: 30_000 });
    try {
      await eventually(async () => (await fetch(`${base}/readyz`).catch(() => null))?.status === 200, 30_000, 'the server to be ready');

      // The load balancer's view: /readyz polled every 50 ms.
      let routable = true;
      let sawDraining = false;
      const poller = (async () => {
        while (routable) {
          const r = await fetch(`${base}/readyz`).catch(() => null);
          if (r) await r.body?.cancel();
          if (r?.status === 503) { sawDraining = true; routable = false; }
          if (!r) routable = false;
          await new Promise((res) => setTimeout(res, 50));
        }
      })();

      const accepted: string[] = [];
      const failures: string[] = [];
      let sent = 0;
      const client = async (c: number) => {
        for (let i = 0; routable; i++) {
          sent++;
          try {
            const res = await pool.request({
              path: '/v1/messages', method: 'POST',
              headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
              body: JSON.stringify({ to: '+14155550100', body: `shutdown ${c}-${i}` }),
            });
            const body = await res.body.json() as { id?: string };
            if (res.statusCode === 202 && body.id) accepted.push(body.id);
            else failures.push(`HTTP ${res.statusCode}`);
          } catch (err) {
            failures.push((err as { code?: string }).code ?? (err as Error).message);
          }
        }
      };
      const clients = Array.from({ length: 24 }, (_, c) => client(c));
      await eventually(async () => accepted.length >= 300, 30_000, '300 accepted messages');
      child.kill('SIGTERM');
      const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      await Promise.all(clients);
      await poller;
      assert.equal(await exit, 0, 'exited cleanly');

      assert.ok(sawDraining, 'readiness went false while the server still answered');
      assert.deepEqual(failures, [], `every request sent got an answer (${sent} sent)`);

      const store = new SqliteStore(join(dir.path, 'switchboard.db'));
      try {
        const rows = await store.getMessages(accepted);
        assert.equal(rows.length, accepted.length, 'every accepted message is on disk');
        assert.equal(rows.filter((m) => m.status === 'sending').length, 0, 'no lease left to expire');
      } finally { await store.close(); }

      // Restarted, it sends what was still queued; each message once.
      child = serve(dir.path, port);
      const observer = new SqliteStore(join(dir.path, 'switchboard.db'));
      try {
        const rows = await eventually(async () => {
          const r = await observer.getMessages(accepted);
          return r.every((m) => m.status === 'delivered') && r;
        }, 60_000, 'every accepted message delivered after the restart');
        assert.equal(rows.length, accepted.length);
        for (const m of rows) {
          const sends = (await observer.listAttempts(m.id)).filter((a) => a.outcome === 'sent').length;
          assert.equal(sends, 1, `${m.id} sent once`);
        }
      } finally { await observer.close(); }
    } finally {
      await pool.close();
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      dir.remove();
    }
  });
});

describe('graceful shutdown of a keep-alive connection', () => {
  it('answers a request that was running when shutdown began with Connection: close, so the listener need not wait out the socket', async () => {
    // The simulator answers after 60 s: a ?wait= request is still held when stop() begins.
    const t = await startApp({ simulatorLatencyMs: 60_000, shutdownTimeoutMs: 2_000 });
    const pool = new Pool(t.url, { connections: 1, keepAliveTimeout: 600_000 });
    let stopped: Promise<void> | null = null;
    try {
      const held = pool.request({
        path: '/v1/messages?wait=30', method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ to: '+14155550100', body: 'held across shutdown' }),
      });
      await eventually(async () => (await t.ctx().store.queueStats(Date.now())).byStatus.sending === 1, 10_000, 'the send to start');
      stopped = t.stop();
      const res = await held;
      assert.equal(res.statusCode, 202, 'answered with the message as it stands');
      assert.equal(res.headers.connection, 'close');
      await res.body.json();
      await stopped;
    } finally {
      await pool.close();
      if (!stopped) await t.stop();
    }
  });
});
