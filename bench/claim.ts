// The claim's cost with fair queues (BENCH_ONLY=claim): a backlog of BENCH_CLAIM_BACKLOG
// (100,000) due messages across 20 accounts and the three lanes, drained by claims of
// 200 (the worker's batch), the bulk lane's share asked as the worker asks it; beside it,
// the first-come-first-served claim it replaced (ORDER BY next_attempt_at), on the same
// backlog. SQLite, and PostgreSQL when BENCH_DATABASE_URL or TEST_DATABASE_URL is set.
// Also the claim when most of the queue is waiting for a retry (an outage's backlog):
// the turn window then passes over rows not yet due.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { PostgresStore } from '../src/store/postgres/postgres-store.ts';
import { BulkShare } from '../src/domain/lanes.ts';
import { messageRow } from '../test/helpers/rows.ts';
import type { NewMessage, Store } from '../src/store/store.ts';

const BACKLOG = Number(process.env.BENCH_CLAIM_BACKLOG ?? 100_000);
const BATCH = 200;
const CLAIMS = 100;
const PG_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? '';

async function fill(store: Store, now: number, notDue = 0): Promise<void> {
  for (let i = 0; i < BACKLOG; i += 1000) {
    const batch: NewMessage[] = Array.from({ length: Math.min(1000, BACKLOG - i) }, (_, j) => {
      const n = i + j;
      // A share of the backlog waits for its retry (an outage): due long after the claims run.
      const due = n % 100 < notDue ? now + 3_600_000 : now - BACKLOG + n;
      return { row: messageRow({ account_id: `acct_${n % 20}`, lane: n % 10 === 0 ? 0 : n % 3 === 0 ? 2 : 1, next_attempt_at: due, created_at: due, updated_at: due }), idempotency: null };
    });
    await store.insertMessages(batch);
  }
}

/** µs per claim of BATCH, over CLAIMS claims. */
async function timeClaims(claim: (i: number) => Promise<number>): Promise<{ perClaim: number; rows: number }> {
  let rows = 0;
  for (let i = 0; i < 5; i++) rows += await claim(i); // warm the statement caches
  rows = 0;
  const t0 = performance.now();
  for (let i = 0; i < CLAIMS; i++) rows += await claim(i);
  return { perClaim: ((performance.now() - t0) * 1000) / CLAIMS, rows };
}

async function fair(store: Store, now: number): Promise<{ perClaim: number; rows: number }> {
  const share = new BulkShare(0.1);
  return timeClaims(async (i) => {
    const k = share.ask(BATCH);
    const rows = await store.claimDue(`bench-${i}`, now, 3_600_000, BATCH, k);
    share.took(rows.filter((r) => r.lane === 2).length);
    return rows.length;
  });
}

/** The claim before fair queues: the oldest due first. */
async function fifo(store: SqliteStore | PostgresStore, now: number): Promise<{ perClaim: number; rows: number }> {
  return timeClaims(async (i) => {
    const r = await sql<{ id: string }>`
      UPDATE messages SET status = 'sending', lease_owner = ${`fifo-${i}`}, next_attempt_at = ${now + 3_600_000}, attempts = attempts + 1, updated_at = ${now}
      WHERE id IN (SELECT id FROM messages WHERE status IN ('scheduled', 'queued', 'sending') AND next_attempt_at <= ${now} ORDER BY next_attempt_at LIMIT ${BATCH}
        ${store.dialect === 'postgres' ? sql`FOR UPDATE SKIP LOCKED` : sql``})
      RETURNING *`.execute(store.db);
    return r.rows.length;
  });
}

async function onStore(name: string, open: () => Promise<{ store: SqliteStore | PostgresStore; dispose: () => Promise<void> }>): Promise<void> {
  for (const [label, notDue] of [['all due', 0], ['80 % waiting for a retry', 80]] as const) {
    const results: string[] = [];
    for (const mode of ['fair', 'fifo'] as const) {
      const { store, dispose } = await open();
      try {
        const now = Date.now();
        await fill(store, now, notDue);
        // A running database has statistics (autovacuum analyzes a table this busy); a freshly filled one has none yet.
        if (store.dialect === 'postgres') await sql`ANALYZE messages`.execute(store.db);
        const r = mode === 'fair' ? await fair(store, now) : await fifo(store, now);
        results.push(`${mode === 'fair' ? 'fair (lanes, turns, bulk share)' : 'first come, first served'}: ${Math.round(r.perClaim)} µs per claim of ${BATCH} (${(r.perClaim / BATCH).toFixed(1)} µs/message, ${r.rows} claimed)`);
      } finally {
        await dispose();
      }
    }
    console.log(`claim, ${name}, ${BACKLOG.toLocaleString('en')} queued, ${label}:\n  ${results.join('\n  ')}`);
  }
}

export async function benchClaim(): Promise<void> {
  await onStore('SQLite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-claim-'));
    const store = new SqliteStore(join(dir, 'claim.db'));
    await store.migrate();
    return { store, dispose: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
  });
  if (!PG_URL) { console.log('claim, PostgreSQL: skipped (no BENCH_DATABASE_URL or TEST_DATABASE_URL)'); return; }
  await onStore('PostgreSQL', async () => {
    const store = new PostgresStore(PG_URL, { schema: `bench_${randomBytes(4).toString('hex')}`, max: 4 });
    await store.migrate();
    return { store, dispose: async () => { await store.dropSchema(); await store.close(); } };
  });
}
