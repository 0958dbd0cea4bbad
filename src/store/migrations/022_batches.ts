import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { ts } from './types.ts';

// Bulk sends (ports/batches.ts): a batch row, and each message's batch, so a batch's
// counts by status are an index range (partial: messages sent one by one pay nothing).
export const m022: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('batches')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('idempotency_key', 'text')
      .addColumn('request_hash', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('total', 'integer', (c) => c.notNull())
      .addColumn('accepted', 'integer', (c) => c.notNull())
      .addColumn('refused', 'text', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('batches_idempotency').on('batches').columns(['account_id', 'idempotency_key']).unique().where(sql.ref('idempotency_key'), 'is not', null).execute();
    await db.schema.createIndex('batches_account').on('batches').columns(['account_id', 'id']).execute();
    await db.schema.alterTable('messages').addColumn('batch_id', 'text').execute();
    await db.schema.createIndex('messages_batch').on('messages').columns(['batch_id', 'status']).where(sql.ref('batch_id'), 'is not', null).execute();
  },
};
