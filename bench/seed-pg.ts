// Seeds a PostgreSQL ledger (`byMonth`: partitioned, SWITCHBOARD_PG_LEDGER_BY_MONTH) with delivered history, fast (not through HTTP): the ids and
// times are made here, 50,000 to a statement, and one statement per batch writes the
// messages, their attempts, parts and delivered events from them (unnest), so a batch is
// one round trip. Like bench/seed.ts, each message is what a delivered send leaves behind.
//   node bench/seed-pg.ts <database url> <schema> [messages=10000000] [days=120] [plain|month]
// The history is seeded month by month, and a month already seeded (bench_seeded) is kept:
// a benchmark that dropped a month (retention) has only that month to seed again.
import { sql } from 'kysely';
import { PostgresStore } from '../src/store/postgres/postgres-store.ts';
import { ensureMonths, monthStart } from '../src/store/postgres/partitions.ts';
import { idAt } from '../src/domain/ids.ts';

const BATCH = 50_000;

/** Seeds `messages` over the `days` before a day ago into `schema` (migrated first); answers how many it wrote now. */
export async function seedPostgres(url: string, schema: string, messages: number, days = 120, byMonth = false): Promise<number> {
  const store = new PostgresStore(url, { schema, max: 2, ledgerByMonth: byMonth });
  try {
    await store.migrate();
    const db = store.db;
    await sql`CREATE TABLE IF NOT EXISTS bench_seeded (month bigint PRIMARY KEY, messages bigint NOT NULL)`.execute(db);
    const end = Date.now() - 86_400_000;
    const span = days * 86_400_000;
    const start = end - span;
    for (let m = monthStart(start); m <= monthStart(end); m = monthStart(m, 1)) await ensureMonths(db, m);
    const seeded = new Set((await sql<{ month: number }>`SELECT month FROM bench_seeded`.execute(db)).rows.map((r) => Number(r.month)));
    // Message k is at start + k/messages of the span: each month seeds the k whose times fall in it.
    const kAt = (t: number) => Math.max(0, Math.min(messages, Math.ceil(((t - start) / span) * messages)));
    let wrote = 0;
    for (let m = monthStart(start); m <= monthStart(end); m = monthStart(m, 1)) {
      if (seeded.has(m)) continue;
      const [from, to] = [kAt(m), kAt(monthStart(m, 1))];
      for (let k0 = from; k0 < to; k0 += BATCH) {
        const n = Math.min(BATCH, to - k0);
        const ks = Array.from({ length: n }, (_, i) => k0 + i);
        const ts = ks.map((k) => start + Math.floor((k / messages) * span));
        const ids = ts.map((t) => idAt('msg', t));
        await sql`
          WITH u AS (SELECT * FROM unnest(${ids}::text[], ${ts}::bigint[], ${ks}::bigint[]) AS u(id, t, k)),
          v AS (SELECT id, t, k, (ARRAY['twilio-seed', 'vonage-seed', 'simulator'])[k % 3 + 1] AS provider,
                       'SMseed' || lpad(to_hex(k), 26, '0') AS pmid, '+1415555' || (1000 + k % 50) AS sender FROM u),
          a AS (INSERT INTO attempts (id, message_id, attempt, provider_id, from_number, outcome, provider_message_id, started_at, finished_at, failover)
                SELECT 'att_seed' || to_hex(k), id, 1, provider, sender, 'sent', pmid, t + 10, t + 200, 0 FROM v),
          p AS (INSERT INTO message_parts (message_id, part_index, provider_id, provider_message_id, status, created_at, updated_at)
                SELECT id, 0, provider, pmid, 'delivered', t + 200, t + 2000 FROM v),
          e AS (INSERT INTO events (id, message_id, type, status, provider_id, provider_status, occurred_at, created_at)
                SELECT 'evt_seed' || to_hex(k), id, 'status', 'delivered', provider, 'delivered', t + 2000, t + 2000 FROM v)
          INSERT INTO messages (id, account_id, to_number, from_number, country, body, encoding, segments, price, currency, status, provider_id,
                                provider_message_id, attempts, throttled_attempts, created_at, updated_at, sent_at, final_at, interrupted)
          SELECT id, (ARRAY['default', 'acct_seed_a', 'acct_seed_b', 'acct_seed_c'])[k % 4 + 1], '+1415' || lpad((2000000 + k % 7000000)::text, 7, '0'),
                 sender, 'US', 'seeded message ' || k, 'GSM-7', 1, '0.0079', 'USD', 'delivered', provider, pmid, 1, 0, t, t + 2000, t + 200, t + 2000, 0
            FROM v`.execute(db);
        wrote += n;
      }
      await sql`INSERT INTO bench_seeded (month, messages) VALUES (${m}, ${to - from})`.execute(db);
    }
    // As autovacuum would have, over the months a real ledger took to grow (since PostgreSQL
    // 13 it vacuums after inserts too): without it the first run reads and rewrites every
    // page (hint bits), and the workers' first queue vacuum reads the whole table.
    if (wrote > 0) await sql`VACUUM (ANALYZE)`.execute(db);
    return wrote;
  } finally {
    await store.close();
  }
}

if (import.meta.main) {
  const [url, schema, count = '10000000', days = '120', ledger = 'plain'] = process.argv.slice(2);
  if (!url || !schema) { console.error('usage: node bench/seed-pg.ts <database url> <schema> [messages] [days] [plain|month]'); process.exit(2); }
  const t0 = Date.now();
  const n = await seedPostgres(url, schema, Number(count), Number(days), ledger === 'month');
  const s = (Date.now() - t0) / 1000;
  console.log(`seeded ${n} delivered messages (with attempts, parts and events) in ${s.toFixed(1)} s = ${Math.round(n / s)}/s`);
}
