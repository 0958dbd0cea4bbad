import { sql } from 'kysely';
import type { Migration } from 'kysely/migration';

// Failover on no receipt: a message may ask to be sent once more through another provider
// when no final receipt came in time. messages_failover_due finds the resends due (only
// messages that asked, and only until it is done).
export const m012: Migration = {
  async up(db) {
    await db.schema.alterTable('messages').addColumn('failover_after_ms', 'bigint').execute();
    await db.schema.alterTable('messages').addColumn('failover_at', 'bigint').execute();
    await db.schema.alterTable('messages').addColumn('failover_from', 'text').execute();
    await sql`CREATE INDEX messages_failover_due ON messages (failover_at) WHERE failover_at IS NOT NULL`.execute(db);
  },
};
