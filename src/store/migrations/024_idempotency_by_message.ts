import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

// Retention of a month of the PostgreSQL ledger by partition (postgres/partitions.ts)
// deletes the idempotency keys of its messages by message id range.
export const m024: Migration = {
  async up(db: Kysely<any>) {
    await sql`CREATE INDEX idempotency_keys_message ON idempotency_keys (message_id)`.execute(db);
  },
};
