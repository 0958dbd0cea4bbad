// Switchboard's own SMPP server through one bind: submit_sm per second (each answered once
// the message is on disk) and receipts per second (deliver_sm, each answered by the
// client, each callback row then marked delivered), at a window of 10 and of 100 submits
// in flight. The client is the raw-PDU ESME of the tests (test/fakes/esme.ts), in this
// process; Switchboard runs as `npm start` does (all roles, SQLite, simulator at 0 ms) in
// its own process.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { createKey, createSmppCredentials } from '../src/auth/auth.ts';
import { Esme } from '../test/fakes/esme.ts';
import { until } from './util.ts';

const ROOT = join(import.meta.dirname, '..');
const MESSAGES = Number(process.env.BENCH_SMPP_MESSAGES ?? 5_000);


export async function benchSmpp(): Promise<void> {
  for (const window of [10, 100]) {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-smpp-'));
    const [port, smppPort] = [18090, 18091];
    const proc = spawn(process.execPath, ['src/main.ts', '--role', 'all'], {
      cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        PATH: process.env.PATH, PORT: String(port), HOST: '127.0.0.1', SWITCHBOARD_DATA_DIR: dir, SWITCHBOARD_ADMIN_KEY: 'bench-smpp', LOG_LEVEL: 'warn',
        SWITCHBOARD_SIMULATOR_LATENCY_MS: '0', SWITCHBOARD_SHUTDOWN_DRAIN_MS: '0', SWITCHBOARD_SMPP_PORT: String(smppPort), SWITCHBOARD_SMPP_WINDOW: String(window),
      },
    });
    try {
      await until('the server', async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status === 200, 30_000);
      const store = new SqliteStore(join(dir, 'switchboard.db'));
      const creds = await createSmppCredentials(store, (await createKey(store, { name: 'bench' })).key);
      await store.close();
      const esme = await Esme.connect(smppPort);
      if (await esme.bind('transceiver', creds.systemId, creds.password) !== 0) throw new Error('bind refused');
      let next = 0;
      let refused = 0;
      const t0 = performance.now();
      await Promise.all(Array.from({ length: window }, async () => {
        while (next < MESSAGES) {
          next++;
          const r = await esme.submit(`+1415555${String(next % 10_000).padStart(4, '0')}`, `bench ${next}`);
          if (r.status !== 0) refused++;
        }
      }));
      const submitted = (performance.now() - t0) / 1000;
      await until('every receipt', () => esme.delivered.length >= MESSAGES - refused, 300_000);
      const received = (performance.now() - t0) / 1000;
      esme.close();
      console.log(`SMPP server, one bind, window ${String(window).padStart(3)}: ${Math.round(MESSAGES / submitted)} submit_sm/s (${MESSAGES} in ${submitted.toFixed(1)} s, ${refused} refused), receipts ${Math.round((MESSAGES - refused) / received)}/s (all ${MESSAGES - refused} in ${received.toFixed(1)} s from the first submit)`);
    } finally {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

if (import.meta.main) await benchSmpp();
