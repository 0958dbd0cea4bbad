import { sql } from 'kysely';
import type { Migration } from 'kysely/migration';

// The failover alert counts failovers in its window every check: read through an index of
// failovers only, it costs what there are of them, not every attempt sent in the window.
export const m008: Migration = {
  async up(db) {
    await sql`CREATE INDEX attempts_failover ON attempts (started_at) WHERE failover = 1`.execute(db);
  },
};
