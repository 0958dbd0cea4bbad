import type { Migration } from 'kysely/migration';

// Inbound webhooks: a number may name where the texts it receives are posted, and the key
// whose signing secret signs them (the key that set it; none: SWITCHBOARD_WEBHOOK_SECRET).
// Conversations: the texts between one business number and one customer, both ways; an
// inbound text names its conversation and the message it answers (in_reply_to), a message
// sent on a conversation names it. inbound_pair lists a conversation's inbound side.
export const m015: Migration = {
  async up(db) {
    await db.schema.alterTable('numbers').addColumn('inbound_url', 'text').execute();
    await db.schema.alterTable('numbers').addColumn('inbound_key_id', 'text').execute();
    await db.schema.alterTable('inbound_messages').addColumn('conversation_id', 'text').execute();
    await db.schema.alterTable('inbound_messages').addColumn('in_reply_to', 'text').execute();
    await db.schema.alterTable('messages').addColumn('conversation_id', 'text').execute();
    await db.schema.createTable('conversations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('business_number', 'text', (c) => c.notNull())
      .addColumn('customer_number', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('inbound_pair').on('inbound_messages').columns(['account_id', 'from_number', 'to_number', 'id']).execute();
  },
};
