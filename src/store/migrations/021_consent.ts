import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { ts } from './types.ts';

// The consent ledger (domain/consent.ts): its records, never changed; opt-outs gain a
// topic (their key is now recipient, sender and topic); accounts gain settings (JSON);
// messages carry their category and topic for the intake check. Every opt-out kept so far
// becomes a record of source `migration`, of the scope it had.
export const m021: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('consent_records')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('number', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('sender', 'text', (c) => c.notNull())
      .addColumn('topic', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('inbound_id', 'text')
      .addColumn('inbound_text', 'text')
      .addColumn('message_id', 'text')
      .addColumn('actor_kind', 'text', (c) => c.notNull())
      .addColumn('actor_id', 'text')
      .addColumn('actor_name', 'text')
      .addColumn('created_at', ts, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('consent_records_number').on('consent_records').columns(['account_id', 'number', 'created_at']).execute();

    await db.schema.createTable('opt_outs_scoped')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('number', 'text', (c) => c.notNull())
      .addColumn('sender', 'text', (c) => c.notNull())
      .addColumn('topic', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addPrimaryKeyConstraint('opt_outs_scoped_pk', ['account_id', 'number', 'sender', 'topic'])
      .execute();
    await sql`INSERT INTO opt_outs_scoped (account_id, number, sender, topic, source, created_at) SELECT account_id, number, sender, '', source, created_at FROM opt_outs`.execute(db);
    await sql`INSERT INTO consent_records (id, account_id, number, action, scope, sender, topic, source, actor_kind, created_at)
      SELECT 'cns_migrated_' || account_id || '_' || number || '_' || sender, account_id, number, 'opt_out', CASE WHEN sender = '' THEN 'account' ELSE 'sender' END,
        sender, '', 'migration', 'system', created_at FROM opt_outs`.execute(db);
    await db.schema.dropTable('opt_outs').execute();
    await db.schema.alterTable('opt_outs_scoped').renameTo('opt_outs').execute();

    await db.schema.alterTable('accounts').addColumn('settings', 'text').execute();
    await db.schema.alterTable('messages').addColumn('category', 'text').execute();
    await db.schema.alterTable('messages').addColumn('topic', 'text').execute();
  },
};
