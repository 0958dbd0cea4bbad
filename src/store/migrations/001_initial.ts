import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { ts } from './types.ts';

export const m001: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('accounts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .execute();
    await db.schema.createTable('api_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('prefix', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull().unique())
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .addColumn('revoked_at', ts)
      .execute();
    await db.schema.createTable('messages')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('api_key_id', 'text')
      .addColumn('to_number', 'text', (c) => c.notNull())
      .addColumn('from_number', 'text')
      .addColumn('requested_from', 'text')
      .addColumn('country', 'text')
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('encoding', 'text', (c) => c.notNull())
      .addColumn('segments', 'integer', (c) => c.notNull())
      .addColumn('price', 'text')
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('provider_id', 'text')
      .addColumn('provider_message_id', 'text')
      .addColumn('callback_url', 'text')
      .addColumn('metadata', 'text')
      .addColumn('idempotency_key', 'text')
      .addColumn('send_at', ts)
      .addColumn('expires_at', ts)
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('throttled_attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', ts)
      .addColumn('lease_owner', 'text')
      .addColumn('error_code', 'text')
      .addColumn('error_message', 'text')
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .addColumn('sent_at', ts)
      .addColumn('final_at', ts)
      .execute();
    // The queue: only rows that can still become due are indexed.
    await sql`CREATE INDEX messages_due ON messages (next_attempt_at) WHERE status IN ('scheduled', 'queued', 'sending')`.execute(db);
    await db.schema.createIndex('messages_account').on('messages').columns(['account_id', 'id']).execute();
    await db.schema.createIndex('messages_provider_ref').on('messages').columns(['provider_message_id', 'provider_id']).execute();
    await db.schema.createTable('attempts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('message_id', 'text', (c) => c.notNull())
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('provider_id', 'text', (c) => c.notNull())
      .addColumn('from_number', 'text')
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('error_code', 'text')
      .addColumn('error_message', 'text')
      .addColumn('provider_message_id', 'text')
      .addColumn('started_at', ts, (c) => c.notNull())
      .addColumn('finished_at', ts, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('attempts_message').on('attempts').column('message_id').execute();
    await db.schema.createTable('events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('message_id', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('status', 'text')
      .addColumn('provider_id', 'text')
      .addColumn('provider_status', 'text')
      .addColumn('error_code', 'text')
      .addColumn('webhook_id', 'text')
      .addColumn('occurred_at', ts, (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('detail', 'text')
      .execute();
    await db.schema.createIndex('events_message').on('events').column('message_id').execute();
    // Replaying a webhook must not duplicate the events it produced.
    await sql`CREATE UNIQUE INDEX events_webhook_once ON events (webhook_id, message_id, provider_status) WHERE webhook_id IS NOT NULL`.execute(db);
    await db.schema.createTable('idempotency_keys')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('request_hash', 'text', (c) => c.notNull())
      .addColumn('message_id', 'text', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addPrimaryKeyConstraint('idempotency_keys_pk', ['account_id', 'key'])
      .execute();
    await db.schema.createTable('webhooks')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('provider_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('headers', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('received_at', ts, (c) => c.notNull())
      .addColumn('process_after', ts, (c) => c.notNull())
      .addColumn('processed_at', ts)
      .addColumn('lease_until', ts)
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('error', 'text')
      .execute();
    await sql`CREATE INDEX webhooks_pending ON webhooks (process_after) WHERE processed_at IS NULL`.execute(db);
    await db.schema.createIndex('webhooks_received').on('webhooks').columns(['received_at']).execute();
    await db.schema.createTable('providers')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('priority', 'integer', (c) => c.notNull())
      .addColumn('active', 'integer', (c) => c.notNull())
      .addColumn('config', 'text', (c) => c.notNull())
      .addColumn('prices', 'text', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .execute();
    const now = Date.now();
    await db.insertInto('accounts').values({ id: 'default', name: 'default', created_at: now, updated_at: now }).execute();
  },
};
