// Receipts lost to a crash: Switchboard is killed with SIGKILL while sending to a
// Twilio-compatible provider, whose status callbacks during the outage are refused and
// never retried. After the restart every accepted message still reaches `delivered`:
// the ones whose receipts were lost by asking the provider (reconciliation).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { eventually } from '../helpers/app.ts';
import { freePort } from '../helpers/net.ts';
import { tempDir } from '../helpers/stores.ts';
import { TwilioFake, FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN } from '../../src/sandbox/twilio.ts';

const MAIN = join(import.meta.dirname, '../../src/main.ts');
const KEY = 'crash-receipts-admin-key';

describe('receipts lost to a crash', () => {
  it('kill -9 while callbacks are refused: after the restart every message is delivered, by reconciliation', async () => {
    const dir = tempDir();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const fake = await new TwilioFake().start();
    // Receipts come late enough that many fall into the outage.
    fake.plan = { statuses: ['sent', 'delivered'], delayMs: 400 };
    const serve = () => spawn(process.execPath, [MAIN, '--role', 'all'], {
      env: {
        PATH: process.env.PATH, NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE, SWITCHBOARD_DATA_DIR: dir.path, LOG_LEVEL: 'error', PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: base,
        SWITCHBOARD_ADMIN_KEY: KEY, TWILIO_CRASH_TOKEN: FAKE_AUTH_TOKEN, SWITCHBOARD_POLL_MS: '100', SWITCHBOARD_LEASE_MS: '1000',
        SWITCHBOARD_RECONCILE_AFTER_MS: '1500', SWITCHBOARD_RECONCILE_EVERY_MS: '200', SWITCHBOARD_SHUTDOWN_DRAIN_MS: '0',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    let child: ChildProcess = serve();
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(base + path, { method, headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: res.status, body: await res.json() as Record<string, unknown> };
    };
    try {
      await eventually(async () => (await fetch(`${base}/readyz`).catch(() => null))?.status === 200, 30_000, 'the server to be ready');
      const p = await call('POST', '/v1/providers', { id: 'twilio-crash', kind: 'twilio', prices: { US: '0.0079' }, config: { account_sid: FAKE_ACCOUNT_SID, auth_token_env: 'TWILIO_CRASH_TOKEN', base_url: fake.url, from: '+14155550500' } });
      assert.equal(p.status, 201, JSON.stringify(p.body));
      const ids: string[] = [];
      for (let i = 0; i < 150; i++) ids.push((await call('POST', '/v1/messages', { to: `+1415555${2000 + i}`, body: `crash receipts ${i}` })).body.id as string);
      // Kill it once the provider has taken messages whose receipts are still to come.
      await eventually(async () => fake.requests.filter((q) => q.sid).length >= 50, 30_000, 'sends under way');
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      // The outage outlasts the receipts then due: each is refused (nothing listens) and lost.
      await eventually(async () => [...fake.messages.values()].every((m) => m.status === 'delivered'), 10_000, 'the receipts due to fall into the outage');

      child = serve();
      const observer = new SqliteStore(join(dir.path, 'switchboard.db'));
      try {
        const rows = await eventually(async () => {
          const r = await observer.getMessages(ids);
          return r.length === ids.length && r.every((m) => m.status === 'delivered') && r;
        }, 60_000, 'every message delivered after the restart');
        let fetched = 0;
        for (const m of rows) if ((await observer.listEvents(m.id)).some((e) => e.detail === 'fetched')) fetched++;
        assert.ok(fetched > 0, 'receipts lost in the outage were fetched from the provider');
      } finally { await observer.close(); }
    } finally {
      child.kill('SIGKILL');
      await fake.stop();
      dir.remove();
    }
  });

  it('kill -9 while the simulator\'s receipts are still to come: after the restart every message is delivered, and says it was simulated', async () => {
    const dir = tempDir();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    // The simulator's receipts come 3 s after each send: the process is killed in between.
    const serve = () => spawn(process.execPath, [MAIN, '--role', 'all'], {
      env: {
        PATH: process.env.PATH, NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE, SWITCHBOARD_DATA_DIR: dir.path, LOG_LEVEL: 'error', PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: base,
        SWITCHBOARD_ADMIN_KEY: KEY, SWITCHBOARD_SIMULATOR_LATENCY_MS: '3000', SWITCHBOARD_POLL_MS: '100', SWITCHBOARD_SHUTDOWN_DRAIN_MS: '0',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    let child = serve();
    const observer = new SqliteStore(join(dir.path, 'switchboard.db'));
    try {
      await eventually(async () => (await fetch(`${base}/readyz`).catch(() => null))?.status === 200, 30_000, 'the server to be ready');
      const ids: string[] = [];
      for (let i = 0; i < 40; i++) {
        const res = await fetch(`${base}/v1/messages`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ to: '+14155550100', body: `simulated ${i}` }) });
        ids.push((await res.json() as { id: string }).id);
      }
      await eventually(async () => {
        const r = await observer.getMessages(ids);
        return r.every((m) => m.status === 'sent' || m.status === 'delivered') && r.filter((m) => m.status === 'sent').length >= 20;
      }, 30_000, 'every message sent, most receipts still to come');
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      child = serve();
      const rows = await eventually(async () => {
        const r = await observer.getMessages(ids);
        return r.every((m) => m.status === 'delivered') && r;
      }, 60_000, 'every message delivered after the restart');
      assert.ok(rows.every((m) => m.simulated === 1 && m.provider_id === 'simulator'));
    } finally {
      child.kill('SIGKILL');
      await observer.close();
      dir.remove();
    }
  });
});
