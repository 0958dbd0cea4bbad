import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { ts } from './types.ts';

// Message parts, and catalog error codes (domain/message-errors.ts) with the provider's
// own code beside them. Parts: what a provider gave its own id to (one per segment for Vonage and
// SMPP, one per message for Twilio). Receipts match a part; the message rolls up. Sent
// messages from before keep their single provider id as part 0.
export const m006: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('message_parts')
      .addColumn('message_id', 'text', (c) => c.notNull())
      .addColumn('part_index', 'integer', (c) => c.notNull())
      .addColumn('provider_id', 'text', (c) => c.notNull())
      .addColumn('provider_message_id', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('error_code', 'text')
      .addColumn('error_message', 'text')
      .addColumn('provider_error_code', 'text')
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .addColumn('reconciled_at', ts)
      .addPrimaryKeyConstraint('message_parts_pk', ['message_id', 'part_index'])
      .execute();
    // Retention deletes final messages oldest first.
    await sql`CREATE INDEX messages_final ON messages (final_at) WHERE final_at IS NOT NULL`.execute(db);
    // Reconciliation looks for parts still `sent` long after they were sent, per provider.
    await db.schema.createIndex('message_parts_unsettled').on('message_parts').columns(['provider_id', 'status', 'updated_at']).execute();
    // Error codes now come from the catalog; the provider's own code is kept beside them.
    await db.schema.alterTable('messages').addColumn('provider_error_code', 'text').execute();
    await db.schema.alterTable('attempts').addColumn('provider_error_code', 'text').execute();
    // Parts of long inbound texts, until every part is here and they are joined.
    await db.schema.createTable('inbound_parts')
      .addColumn('provider_id', 'text', (c) => c.notNull())
      .addColumn('from_number', 'text', (c) => c.notNull())
      .addColumn('concat_ref', 'text', (c) => c.notNull())
      .addColumn('part', 'integer', (c) => c.notNull())
      .addColumn('total', 'integer', (c) => c.notNull())
      .addColumn('provider_message_id', 'text', (c) => c.notNull())
      .addColumn('to_number', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('webhook_id', 'text', (c) => c.notNull())
      .addColumn('received_at', ts, (c) => c.notNull())
      .addPrimaryKeyConstraint('inbound_parts_pk', ['provider_id', 'from_number', 'concat_ref', 'part'])
      .execute();
    await db.schema.createIndex('message_parts_provider_ref').unique().on('message_parts').columns(['provider_id', 'provider_message_id']).execute();
    await sql`INSERT INTO message_parts (message_id, part_index, provider_id, provider_message_id, status, error_code, error_message, created_at, updated_at)
      SELECT id, 0, provider_id, provider_message_id, status, error_code, error_message, COALESCE(sent_at, updated_at), updated_at
      FROM messages WHERE provider_message_id IS NOT NULL AND provider_id IS NOT NULL`.execute(db);
  },
};
