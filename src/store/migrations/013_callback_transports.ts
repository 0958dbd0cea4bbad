import { sql } from 'kysely';
import type { Migration } from 'kysely/migration';

// Callbacks go out two ways: over HTTP (the dispatcher) and as SMPP receipts (the SMPP
// server, only to a client's bound receiver, so they may wait hours for one). One due
// index per way, so the HTTP dispatcher never walks past SMPP receipts waiting for their
// receiver, and the SMPP server finds a system_id's receipts directly. The predicates are
// literals in the claim queries too, so SQLite can use these partial indexes.
export const m013: Migration = {
  async up(db) {
    await sql`DROP INDEX callbacks_due`.execute(db);
    await sql`CREATE INDEX callbacks_due ON callbacks (next_attempt_at) WHERE status = 'pending' AND type <> 'smpp.receipt'`.execute(db);
    await sql`CREATE INDEX callbacks_smpp_due ON callbacks (url, next_attempt_at) WHERE status = 'pending' AND type = 'smpp.receipt'`.execute(db);
  },
};
