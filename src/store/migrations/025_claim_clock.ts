import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

// The claim clock (PostgreSQL's claimDue with spacing, hot-writes.ts): when the workers
// sharing the queue last claimed, so that they claim once per window among them, not once
// per window each.
export const m025: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('claim_clock').addColumn('name', 'text', (c) => c.primaryKey()).addColumn('at', 'bigint', (c) => c.notNull()).execute();
    await db.insertInto('claim_clock').values([{ name: 'messages', at: 0 }, { name: 'webhooks', at: 0 }]).execute();
  },
};
