// The raw webhook's life in the store (BENCH_ONLY=whlife), on PostgreSQL: stored in
// batches of 25 (as the ingest groups a receipt storm), claimed 300 at a time (the
// processor's batch) and finished. First in step (each claim takes what was just stored),
// then draining a backlog of BENCH_WH_BACKLOG (100,000) stored first (a receipt storm).
// PostgreSQL's CPU (every server process) per webhook, and per step.
import { randomBytes } from 'node:crypto';
import { PostgresStore } from '../src/store/postgres/postgres-store.ts';
import { webhookRow } from '../test/helpers/rows.ts';
import type { WebhookRow } from '../src/store/store.ts';
import { postgresCpuSeconds } from './util.ts';

const PG_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? '';
const STEADY = 30_000;
const BACKLOG = Number(process.env.BENCH_WH_BACKLOG ?? 100_000);
const BATCH = 300;
const STORE_BATCH = 25;

// A Twilio status callback as stored: its form body and headers.
const body = new URLSearchParams({ MessageSid: `SM${'a'.repeat(32)}`, MessageStatus: 'delivered', To: '+447700900123', From: '+447700900000', AccountSid: `AC${'b'.repeat(32)}`, ApiVersion: '2010-04-01', SmsSid: `SM${'a'.repeat(32)}`, SmsStatus: 'delivered' }).toString();
const headers = JSON.stringify({ 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'x'.repeat(28), 'user-agent': 'TwilioProxy/1.1', host: 'localhost:3000' });
const stored = (now: number, n: number): WebhookRow[] => Array.from({ length: n }, () => webhookRow({ provider_id: 'twilio', body, headers, received_at: now, process_after: now }));

type Steps = { store: number; claim: number; finish: number };

async function drain(store: PostgresStore, upTo: number, steps: Steps, storeEach: boolean): Promise<number> {
  let done = 0;
  let at = postgresCpuSeconds();
  const lap = (k: keyof Steps) => { const n = postgresCpuSeconds(); steps[k] += n - at; at = n; };
  while (done < upTo) {
    const now = Date.now();
    if (storeEach) {
      await Promise.all(Array.from({ length: BATCH / STORE_BATCH }, () => store.insertWebhooks(stored(now, STORE_BATCH))));
      lap('store');
    }
    const got = await store.claimWebhooks(now + 1, 60_000, BATCH);
    lap('claim');
    if (got.length === 0) break;
    await store.finishWebhooks(got.map((w) => ({ id: w.id, error: null })), [], 0, now + 2);
    lap('finish');
    done += got.length;
  }
  return done;
}

const per = (s: number, n: number) => (s * 1e6 / n).toFixed(1);

export async function benchWebhookLife(): Promise<void> {
  if (!PG_URL) { console.log('\nraw webhooks in the store: skipped (set BENCH_DATABASE_URL or TEST_DATABASE_URL)'); return; }
  const store = new PostgresStore(PG_URL, { schema: `bench_wh_${randomBytes(4).toString('hex')}`, max: 4 });
  try {
    await store.migrate();
    console.log('\nraw webhooks in the store, PostgreSQL (stored 25 a statement, claimed and finished 300 at a time): PostgreSQL CPU µs per webhook');
    const steady: Steps = { store: 0, claim: 0, finish: 0 };
    const n = await drain(store, STEADY, steady, true);
    const all = steady.store + steady.claim + steady.finish;
    console.log(`  in step, ${n}: ${per(all, n)} µs (store ${per(steady.store, n)}, claim ${per(steady.claim, n)}, finish ${per(steady.finish, n)})`);
    const now = Date.now();
    for (let i = 0; i < BACKLOG; i += 500) await store.insertWebhooks(stored(now, Math.min(500, BACKLOG - i)));
    const storm: Steps = { store: 0, claim: 0, finish: 0 };
    const m = await drain(store, BACKLOG, storm, false);
    console.log(`  a backlog of ${m} drained: ${per(storm.claim + storm.finish, m)} µs (claim ${per(storm.claim, m)}, finish ${per(storm.finish, m)})`);
  } finally {
    await store.dropSchema();
    await store.close();
  }
}
