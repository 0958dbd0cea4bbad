// The provider window behind /v1/status and the failover alert (BENCH_ONLY=status): a
// SQLite ledger with BENCH_STATUS_MESSAGES (300,000) sent in the last five minutes (1,000 a
// second), read from the attempts alone and then from the attempt buckets
// (store/shared/attempt-buckets.ts) once the settled ones are rolled up.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { seed } from './seed.ts';

const MESSAGES = Number(process.env.BENCH_STATUS_MESSAGES ?? 300_000);
const WINDOW_MS = 300_000;

async function time(what: () => Promise<unknown>, n = 20): Promise<string> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) { const t = performance.now(); await what(); times.push(performance.now() - t); }
  times.sort((a, b) => a - b);
  return `${times[Math.floor(n / 2)].toFixed(2)} ms`;
}

export async function benchStatusWindow(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-status-'));
  await seed(dir, MESSAGES, WINDOW_MS / 86_400_000, 0);
  const store = new SqliteStore(join(dir, 'switchboard.db'));
  await store.migrate();
  const read = () => Promise.all([store.providerWindows(Date.now() - WINDOW_MS), store.countFailovers(Date.now() - WINDOW_MS)]);
  const live = await time(read);
  const liveAccount = await time(() => store.providerWindows(Date.now() - WINDOW_MS, 'acct_seed_a'));
  const t = performance.now();
  const rolled = await store.rollUpAttemptBuckets(Date.now());
  const rollMs = performance.now() - t;
  const buckets = await time(read);
  const bucketsAccount = await time(() => store.providerWindows(Date.now() - WINDOW_MS, 'acct_seed_a'));
  console.log(`provider window, ${MESSAGES.toLocaleString('en')} attempts in the last 5 min (SQLite): from the attempts ${live}, one account ${liveAccount}; from the buckets ${buckets}, one account ${bucketsAccount} (rolling up ${rolled} buckets took ${rollMs.toFixed(0)} ms)`);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
