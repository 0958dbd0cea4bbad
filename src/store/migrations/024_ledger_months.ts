import { PostgresAdapter, sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { LEDGER, monthStart, partitionTable } from '../postgres/partitions.ts';

// PostgreSQL: the ledger tables partitioned by month (postgres/partitions.ts has the terms),
// so retention drops a month instead of deleting its rows. Existing rows are copied into
// their months (a long migration on a big ledger: it runs once, in one transaction).
// SQLite keeps its tables: the embedded store is for one machine's traffic.
export const m024: Migration = {
  async up(db: Kysely<any>) {
    // Retention deletes the idempotency keys of a month's messages by message id range.
    await sql`CREATE INDEX idempotency_keys_message ON idempotency_keys (message_id)`.execute(db);
    if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
    const now = Date.now();
    const r = await sql<{ t: number | null }>`SELECT LEAST((SELECT min(created_at) FROM messages), (SELECT min(received_at) FROM webhooks)) AS t`.execute(db);
    // Months from the oldest row's, two years back at most (older rows go to the default partition).
    const from = Math.max(monthStart(now, -24), Math.min(now, Number(r.rows[0]?.t ?? now)));
    for (const t of LEDGER) await partitionTable(db, t, from, now);
  },
};
