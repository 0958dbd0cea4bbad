import { sql } from 'kysely';
import type { Migration } from 'kysely/migration';

// webhooks_due: unprocessed raw webhooks by when they can next be claimed, the later of
// their due time and their lease's end. Claims read it from the front; a webhook leased by
// another processor moves back in it, so a claim no longer walks over every webhook other
// processors hold (webhooks_pending, by process_after alone, kept them all in front: each
// claim visited each of them in the table, and with three processors that was the biggest
// cost PostgreSQL had per message). The next due time is its first entry. The expression
// is written as the queries write it (store/shared/webhook-due.ts), so both databases
// match it to the index.
export const m016: Migration = {
  async up(db) {
    await sql`CREATE INDEX webhooks_due ON webhooks ((CASE WHEN lease_until > process_after THEN lease_until ELSE process_after END)) WHERE processed_at IS NULL`.execute(db);
  },
};
