import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { ts } from './types.ts';

// Crash-window duplicates, parts awaiting receipts, open messages. A claim that finds the message still `sending` (its lease ran
// out: the worker died, or shut down mid-send) marks it interrupted, so the next worker
// asks a provider that can be asked by our reference before it sends again.
export const m007: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('messages').addColumn('interrupted', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    // Parts awaiting a receipt, whatever their provider (the receipt deadline, and the
    // metric of how many there are and the oldest): bounded by them, not by the ledger.
    await sql`CREATE INDEX message_parts_awaiting ON message_parts (updated_at) WHERE status = 'sent'`.execute(db);
    // Figures about the queue (/metrics, /v1/status, alerts) count messages not yet final:
    // bounded by what is under way, not by the ledger.
    await sql`CREATE INDEX messages_open ON messages (account_id, status) WHERE final_at IS NULL`.execute(db);
    // An account's messages to one number, newest first (GET /v1/messages?to=).
    await db.schema.createIndex('messages_account_to').on('messages').columns(['account_id', 'to_number', 'id']).execute();
    // Receipts find their message through its part (message_parts_provider_ref) since
    // 006; this index was only written, never read.
    await db.schema.dropIndex('messages_provider_ref').execute();
    // SMPP clients bind with a system_id and password that belong to an API key.
    await db.schema.alterTable('api_keys').addColumn('smpp_system_id', 'text').execute();
    await db.schema.alterTable('api_keys').addColumn('smpp_password_hash', 'text').execute();
    await sql`CREATE UNIQUE INDEX api_keys_smpp ON api_keys (smpp_system_id) WHERE smpp_system_id IS NOT NULL`.execute(db);
    // Public tracking pages for one job's notifications: the token itself is never stored.
    await db.schema.createTable('tracking_links')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('job_id', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('expires_at', ts, (c) => c.notNull())
      .addColumn('revoked_at', ts)
      .execute();
    // Message templates, versioned: an edit is a new version; a message records the one it used.
    await db.schema.createTable('templates')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('variables', 'text', (c) => c.notNull())
      .addColumn('locale', 'text')
      .addColumn('created_at', ts, (c) => c.notNull())
      .addPrimaryKeyConstraint('templates_pk', ['account_id', 'id', 'version'])
      .execute();
    await db.schema.alterTable('messages').addColumn('template_id', 'text').execute();
    // Voice notifications ride the same ledger: channel 'voice', and the call's options.
    await db.schema.alterTable('messages').addColumn('channel', 'text', (c) => c.notNull().defaultTo('sms')).execute();
    await db.schema.alterTable('messages').addColumn('voice_options', 'text').execute();
    await db.schema.alterTable('messages').addColumn('template_version', 'integer').execute();
    // Failover drills and what they proved.
    await db.schema.createTable('drills')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('provider_id', 'text', (c) => c.notNull())
      .addColumn('to_number', 'text', (c) => c.notNull())
      .addColumn('message_id', 'text')
      .addColumn('passed', 'integer', (c) => c.notNull())
      .addColumn('result', 'text', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .execute();
    // Why each send went where it went (the routing explanation), on its last attempt.
    await db.schema.alterTable('attempts').addColumn('route_explanation', 'text').execute();
    await db.schema.createIndex('tracking_links_account').on('tracking_links').columns(['account_id', 'id']).execute();
  },
};
