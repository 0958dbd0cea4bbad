import { sql } from 'kysely';
import type { Migration } from 'kysely/migration';

// Indexes that every message passes through, narrowed to the rows their queries read:
// - messages_to_sent: the sticky sender (lastSender) reads the newest *sent* message to a
//   number. Unsent messages cost an index write at intake and another when sent (a page
//   of their own when recipients vary); now only sent messages are indexed.
// - message_parts_unsettled: reconciliation reads parts still `sent`, per provider. Every
//   part stayed in it for good and moved within it on its receipt; now a part leaves it
//   when its receipt comes, and the index holds what awaits one, not the ledger.
export const m009: Migration = {
  async up(db) {
    await db.schema.dropIndex('messages_to_sent').execute();
    await sql`CREATE INDEX messages_to_sent ON messages (to_number, sent_at) WHERE sent_at IS NOT NULL`.execute(db);
    await db.schema.dropIndex('message_parts_unsettled').execute();
    await sql`CREATE INDEX message_parts_unsettled ON message_parts (provider_id, updated_at) WHERE status = 'sent'`.execute(db);
  },
};
