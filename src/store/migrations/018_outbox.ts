import { PostgresAdapter, sql } from 'kysely';
import type { Migration } from 'kysely/migration';
import { ts } from './types.ts';

// The event outbox (store/ports/outbox.ts): one row per event, written in the transaction
// of the change it announces. `seq` is the database's insert order; `pos` is the feed
// position the one sequencer gives rows once they are visible (commit order), which the
// sinks' cursors and GET /v1/events page by (on SQLite, seq itself). outbox_cursors holds each sink's cursor and
// the sequencer's high-water mark ('' row); outbox_leases the publisher's lease.
export const m018: Migration = {
  async up(db) {
    const pg = db.getExecutor().adapter instanceof PostgresAdapter;
    await db.schema.createTable('outbox')
      .addColumn('seq', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('message_id', 'text')
      .addColumn('time', ts, (c) => c.notNull())
      .addColumn('data', 'text', (c) => c.notNull())
      .addColumn('pos', ts)
      .execute();
    // Each index is one more write per event on the hot path: only what the sequencer
    // (PostgreSQL), the feed by account and the id's uniqueness need. On SQLite writes are
    // serial, so seq is already commit order and serves as the position (shared/outbox.ts).
    if (pg) {
      await db.schema.createIndex('outbox_pos').on('outbox').column('pos').unique().execute();
      await db.schema.createIndex('outbox_unsequenced').on('outbox').column('seq').where(sql.ref('pos'), 'is', null).execute();
    }
    await db.schema.createIndex('outbox_account_pos').on('outbox').columns(['account_id', pg ? 'pos' : 'seq']).execute();
    await db.schema.createTable('outbox_cursors')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('pos', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .execute();
    await db.schema.createTable('outbox_leases')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('until', ts, (c) => c.notNull())
      .execute();
  },
};
