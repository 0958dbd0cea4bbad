import type { Migration } from 'kysely/migration';

// Inbound webhooks: a number may name where the texts it receives are posted, and the key
// whose signing secret signs them (the key that set it; none: SWITCHBOARD_WEBHOOK_SECRET).
export const m015: Migration = {
  async up(db) {
    await db.schema.alterTable('numbers').addColumn('inbound_url', 'text').execute();
    await db.schema.alterTable('numbers').addColumn('inbound_key_id', 'text').execute();
  },
};
