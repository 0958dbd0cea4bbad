// The queue lives in the ledger's own tables, and every step of a message (claimed, sent,
// delivered) is an UPDATE that leaves the old row version behind, with an entry in each of
// the table's indexes; raw webhooks likewise (leased, then processed). Until VACUUM clears
// them, every claim walks over them and the tables grow. Measured (`npm run bench`, api + 1
// worker, 50,000 messages, this machine, whose PostgreSQL runs without autovacuum):
// 480 and 1,893 msg/s with PostgreSQL at 2,137 and 538 µs a message; with the hot tables
// vacuumed every 3 s, 2,522 and 2,564 msg/s at 351 µs. Autovacuum's defaults do not keep
// up either: a table is vacuumed once a fifth of it is dead, at most once a minute.
//
// So the workers vacuum them themselves: every SWITCHBOARD_PG_VACUUM_MS, the tables (and,
// on the ledger by month, the partitions) of the queue whose dead rows passed
// DEAD_ROWS_MIN and a tenth of their live rows, one process of the deployment at a time
// (an advisory lock per schema), SKIP_LOCKED so that one autovacuum is working on is left
// to it. The tenth matters: on a plain ledger of 10 M messages, vacuuming every 20,000
// dead rows cost more than it saved (259 msg/s, PostgreSQL at 4,340 µs a message, against
// 2,176 msg/s and 450 µs without), while a ledger that large hardly slows for a run's dead
// rows; the collapse is where they outnumber the live ones (a new or small ledger).
import type pg from 'pg';

/** The tables whose rows are updated as messages and raw webhooks move through the queue. */
export const QUEUE_TABLES = ['messages', 'message_parts', 'webhooks'] as const;
/** Dead rows a table (or partition) may hold before it is vacuumed: this many, and a tenth of its live rows. */
export const DEAD_ROWS_MIN = 20_000;
const DEAD_SHARE = 10;

/** The advisory lock one process of a deployment vacuums under (a key per schema). */
export const VACUUM_LOCK = "hashtext(current_schema() || ' queue vacuum')";

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Vacuums the queue's tables that hold at least `minDead` dead rows; answers which (none while another process is at it). */
export async function vacuumQueue(pool: pg.Pool, minDead = DEAD_ROWS_MIN): Promise<string[]> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    const got = (await client.query<{ got: boolean }>(`SELECT pg_try_advisory_lock(${VACUUM_LOCK}) AS got`)).rows[0].got;
    if (!got) return [];
    try {
      const due = await client.query<{ relname: string }>(`
        SELECT s.relname FROM pg_stat_user_tables s
        LEFT JOIN pg_inherits i ON i.inhrelid = s.relid
        LEFT JOIN pg_class parent ON parent.oid = i.inhparent
        WHERE s.schemaname = current_schema() AND s.n_dead_tup >= greatest($1, s.n_live_tup / ${DEAD_SHARE}) AND coalesce(parent.relname, s.relname) = ANY($2::text[])
        ORDER BY s.n_dead_tup DESC`, [minDead, QUEUE_TABLES]);
      for (const { relname } of due.rows) await client.query(`VACUUM (SKIP_LOCKED) ${quote(relname)}`);
      return due.rows.map((r) => r.relname);
    } finally {
      await client.query(`SELECT pg_advisory_unlock(${VACUUM_LOCK})`);
    }
  } catch (err) {
    broken = err as Error;
    throw err;
  } finally {
    // A connection that failed mid-way is dropped, and its advisory lock with it.
    client.release(broken);
  }
}
