import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { ts } from './types.ts';

// Inbound messages, callbacks to callers (with every delivery attempt), and each API
// key's webhook signing secret and default callback URL.
export const m002: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('api_keys').addColumn('webhook_secret', 'text').execute();
    await db.schema.alterTable('api_keys').addColumn('callback_url', 'text').execute();
    await db.schema.createTable('inbound_messages')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('provider_id', 'text', (c) => c.notNull())
      .addColumn('provider_message_id', 'text', (c) => c.notNull())
      .addColumn('from_number', 'text', (c) => c.notNull())
      .addColumn('to_number', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('webhook_id', 'text', (c) => c.notNull())
      .addColumn('received_at', ts, (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('inbound_provider_ref').on('inbound_messages').columns(['provider_id', 'provider_message_id']).unique().execute();
    await db.schema.createIndex('inbound_account').on('inbound_messages').columns(['account_id', 'id']).execute();
    await db.schema.createTable('callbacks')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('api_key_id', 'text')
      .addColumn('message_id', 'text', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', ts)
      .addColumn('lease_until', ts)
      .addColumn('last_error', 'text')
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .addColumn('delivered_at', ts)
      .execute();
    await sql`CREATE INDEX callbacks_due ON callbacks (next_attempt_at) WHERE status = 'pending'`.execute(db);
    await db.schema.createIndex('callbacks_message').on('callbacks').column('message_id').execute();
    await db.schema.createTable('callback_attempts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('callback_id', 'text', (c) => c.notNull())
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('status_code', 'integer')
      .addColumn('error', 'text')
      .addColumn('started_at', ts, (c) => c.notNull())
      .addColumn('duration_ms', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('callback_attempts_callback').on('callback_attempts').column('callback_id').execute();
  },
};
