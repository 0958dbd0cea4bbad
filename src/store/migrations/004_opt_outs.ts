import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { ts } from './types.ts';

// Opt-outs: a recipient who replied STOP, per account and business number ('' = every
// number of the account).
export const m004: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('opt_outs')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('number', 'text', (c) => c.notNull())
      .addColumn('sender', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addPrimaryKeyConstraint('opt_outs_pk', ['account_id', 'number', 'sender'])
      .execute();
  },
};
