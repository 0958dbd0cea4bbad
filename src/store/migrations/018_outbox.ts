import { PostgresAdapter, sql } from 'kysely';
import type { Migration } from 'kysely/migration';
import { ts } from './types.ts';
import { CONFIG_TABLES } from './011_config_changes.ts';

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
    // config.changed, written by the same triggers' transaction as the change (however it
    // was made: API, CLI, apply, plain SQL). An operator's event (account `_system`): it
    // names the table and the operation, never the row (api_keys holds hashes).
    const event = (table: string, op: string, id: string, time: string) => `INSERT INTO outbox (id, account_id, type, subject, time, data)
      VALUES (${id}, '_system', 'config.changed', ${table}, ${time}, ${pg ? `json_build_object('table', ${table}, 'operation', ${op})::text` : `json_object('table', ${table}, 'operation', ${op})`})`;
    if (pg) {
      await sql.raw(`CREATE FUNCTION config_event() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN ${event('TG_TABLE_NAME', 'TG_OP', `'evt_cfg_' || md5(random()::text || clock_timestamp()::text)`, '(extract(epoch FROM clock_timestamp()) * 1000)::bigint')}; RETURN NULL; END $$`).execute(db);
      for (const t of CONFIG_TABLES) await sql.raw(`CREATE TRIGGER ${t}_config_event AFTER INSERT OR UPDATE OR DELETE ON ${t} FOR EACH ROW EXECUTE FUNCTION config_event()`).execute(db);
    } else {
      for (const t of CONFIG_TABLES) {
        for (const op of ['INSERT', 'UPDATE', 'DELETE']) {
          await sql.raw(`CREATE TRIGGER ${t}_config_event_${op.toLowerCase()} AFTER ${op} ON ${t} BEGIN ${event(`'${t}'`, `'${op}'`, `'evt_cfg_' || lower(hex(randomblob(12)))`, `CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)`)}; END`).execute(db);
        }
      }
    }
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
