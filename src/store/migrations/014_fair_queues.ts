import { sql } from 'kysely';
import type { Migration } from 'kysely/migration';

// Fair queues (domain/lanes.ts): a message's lane (0 urgent, 1 normal, 2 bulk) and its
// turn key. messages_turn is what the claim walks: waiting messages by lane and turn,
// with next_attempt_at and the id beside them, so the claim's walk reads the index alone
// and a row not yet due is passed over there.
// messages_open gains the lane and the turn key, so a flow's last waiting key (intake)
// and the depth per account and lane (status) are read from the index alone. Messages
// already waiting take their due time as their key: they keep the order they had.
// An API key and a template may name the lane of the messages sent with them.
export const m014: Migration = {
  async up(db) {
    await db.schema.alterTable('messages').addColumn('lane', 'integer', (c) => c.notNull().defaultTo(1)).execute();
    await db.schema.alterTable('messages').addColumn('fair_key', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
    await sql`UPDATE messages SET fair_key = COALESCE(next_attempt_at, created_at) * 1000 WHERE final_at IS NULL`.execute(db);
    await sql`CREATE INDEX messages_turn ON messages (lane, fair_key, next_attempt_at, id) WHERE status IN ('scheduled', 'queued', 'sending')`.execute(db);
    await db.schema.dropIndex('messages_open').execute();
    await sql`CREATE INDEX messages_open ON messages (account_id, status, lane, fair_key, next_attempt_at) WHERE final_at IS NULL`.execute(db);
    await db.schema.alterTable('api_keys').addColumn('priority', 'text').execute();
    await db.schema.alterTable('templates').addColumn('priority', 'text').execute();
  },
};
