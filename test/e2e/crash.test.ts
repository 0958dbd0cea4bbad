// A worker process killed with SIGKILL in the middle of a batch loses nothing: its
// leases run out, another worker claims the messages, and every accepted message
// reaches a final status.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { startApp, eventually } from '../helpers/app.ts';

const MAIN = join(import.meta.dirname, '../../src/main.ts');

function spawnWorker(dataDir: string): ChildProcess {
  return spawn(process.execPath, [MAIN, '--role', 'worker'], {
    env: {
      PATH: process.env.PATH, NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE, SWITCHBOARD_DATA_DIR: dataDir, LOG_LEVEL: 'error', PORT: '0',
      SWITCHBOARD_SIMULATOR_LATENCY_MS: '150', SWITCHBOARD_LEASE_MS: '1500', SWITCHBOARD_POLL_MS: '100',
      SWITCHBOARD_WORKER_BATCH: '40', SWITCHBOARD_WORKER_CONCURRENCY: '40',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

describe('crash safety', () => {
  it('a worker killed mid-batch loses no accepted message', async () => {
    const api = await startApp({ role: 'api' });
    const N = 200;
    const ids: string[] = [];
    try {
      for (let i = 0; i < N; i++) ids.push((await api.call('POST', '/v1/messages', { to: '+14155550100', body: `crash test ${i}` })).body.id);
      const observer = new SqliteStore(join(api.dataDir, 'switchboard.db'));
      const first = spawnWorker(api.dataDir);
      let second: ChildProcess | null = null;
      try {
        // Kill it once it holds leased messages and has finished some others.
        const snapshot = await eventually(async () => {
          const rows = await observer.getMessages(ids);
          const sending = rows.filter((m) => m.status === 'sending').length;
          const done = rows.filter((m) => m.status !== 'queued' && m.status !== 'sending').length;
          return sending > 0 && done > 0 && { sending, done };
        }, 20_000, 'the first worker to be mid-batch');
        first.kill('SIGKILL');
        await new Promise((r) => first.once('exit', r));
        assert.ok(snapshot.sending > 0, 'killed while messages were in flight');

        second = spawnWorker(api.dataDir);
        const rows = await eventually(async () => {
          const r = await observer.getMessages(ids);
          return r.every((m) => m.status === 'delivered') && r;
        }, 60_000, 'every message to be delivered after the restart');
        assert.equal(rows.length, N);
        const retried = rows.filter((m) => m.attempts > 1).length;
        assert.ok(retried > 0, 'the killed worker\'s leased messages were claimed again');
      } finally {
        first.kill('SIGKILL');
        second?.kill('SIGTERM');
        if (second) await new Promise((r) => second!.once('exit', r));
        await observer.close();
      }
    } finally {
      await api.stop();
    }
  });
});
