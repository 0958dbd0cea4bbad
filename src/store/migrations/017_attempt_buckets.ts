import type { Migration } from 'kysely/migration';
import { ts } from './types.ts';

// Attempt buckets: each provider's sends, errors and failovers per 10 seconds and account,
// so /v1/status and the failover alert read a window's settled buckets instead of every
// attempt in it (store/shared/attempt-buckets.ts). A bucket's rows and its mark in
// attempt_buckets_done are written once, by whichever worker process rolls it up first.
export const m017: Migration = {
  async up(db) {
    await db.schema.createTable('attempt_buckets')
      .addColumn('start', ts, (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('provider_id', 'text', (c) => c.notNull())
      .addColumn('sends', 'integer', (c) => c.notNull())
      .addColumn('errors', 'integer', (c) => c.notNull())
      .addColumn('failovers', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('attempt_buckets_pk', ['start', 'account_id', 'provider_id'])
      .execute();
    await db.schema.createTable('attempt_buckets_done')
      .addColumn('start', ts, (c) => c.primaryKey())
      .addColumn('done_at', ts, (c) => c.notNull())
      .execute();
  },
};
