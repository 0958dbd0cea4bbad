// Seeds a SQLite ledger with delivered history, fast (prepared statements, 20,000 rows a
// transaction, not through HTTP), so benchmarks can compare an empty ledger with a full one:
//   node bench/seed.ts <data dir> [messages=1000000] [days=30]
// Each message is what a delivered send leaves behind: the message, its attempt, its part
// and its delivered event, spread over the `days` before today (none in the last 24 h),
// across a few accounts and providers.
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { idAt } from '../src/domain/ids.ts';

/** `endAgoMs`: how long before now the history ends (a day by default: none in the last 24 h). */
export async function seed(dataDir: string, messages: number, days = 30, endAgoMs = 86_400_000): Promise<number> {
  const path = join(dataDir, 'switchboard.db');
  const store = new SqliteStore(path);
  await store.migrate();
  await store.close();
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
  const msg = db.prepare(`INSERT INTO messages (id, account_id, to_number, from_number, country, body, encoding, segments, price, currency, status, provider_id,
    provider_message_id, attempts, throttled_attempts, created_at, updated_at, sent_at, final_at, interrupted)
    VALUES (?, ?, ?, ?, 'US', ?, 'GSM-7', 1, '0.0079', 'USD', 'delivered', ?, ?, 1, 0, ?, ?, ?, ?, 0)`);
  const att = db.prepare(`INSERT INTO attempts (id, message_id, attempt, provider_id, from_number, outcome, provider_message_id, started_at, finished_at, failover)
    VALUES (?, ?, 1, ?, ?, 'sent', ?, ?, ?, 0)`);
  const part = db.prepare(`INSERT INTO message_parts (message_id, part_index, provider_id, provider_message_id, status, created_at, updated_at)
    VALUES (?, 0, ?, ?, 'delivered', ?, ?)`);
  const evt = db.prepare(`INSERT INTO events (id, message_id, type, status, provider_id, provider_status, occurred_at, created_at)
    VALUES (?, ?, 'status', 'delivered', ?, 'delivered', ?, ?)`);
  const accounts = ['default', 'acct_seed_a', 'acct_seed_b', 'acct_seed_c'];
  const providers = ['twilio-seed', 'vonage-seed', 'simulator'];
  const end = Date.now() - endAgoMs;
  const span = days * 86_400_000;
  const stamp = randomBytes(3).toString('hex');
  let done = 0;
  while (done < messages) {
    const n = Math.min(20_000, messages - done);
    db.exec('BEGIN');
    for (let i = 0; i < n; i++) {
      const k = done + i;
      const t = end - span + Math.floor((k / messages) * span);
      const id = idAt('msg', t); // an id of the time it was accepted: id ranges are time ranges
      const provider = providers[k % providers.length];
      const pmid = `SM${stamp}${k.toString(16).padStart(26, '0')}`;
      const from = `+1415555${String(1000 + (k % 50)).slice(-4)}`;
      msg.run(id, accounts[k % accounts.length], `+1415${String(2_000_000 + (k % 7_000_000)).padStart(7, '0')}`, from, `seeded message ${k}`, provider, pmid, t, t + 2_000, t + 200, t + 2_000);
      att.run(`att_${stamp}${k.toString(36)}`, id, provider, from, pmid, t + 10, t + 200);
      part.run(id, provider, pmid, t + 200, t + 2_000);
      evt.run(`evt_${stamp}${k.toString(36)}`, id, provider, t + 2_000, t + 2_000);
    }
    db.exec('COMMIT');
    done += n;
  }
  db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  db.close();
  return done;
}

if (import.meta.main) {
  const [dir, count = '1000000', days = '30'] = process.argv.slice(2);
  if (!dir) { console.error('usage: node bench/seed.ts <data dir> [messages] [days]'); process.exit(2); }
  const t0 = Date.now();
  const n = await seed(dir, Number(count), Number(days));
  const s = (Date.now() - t0) / 1000;
  console.log(`seeded ${n} delivered messages (with attempts, parts and events) in ${s.toFixed(1)} s = ${Math.round(n / s)}/s`);
}
