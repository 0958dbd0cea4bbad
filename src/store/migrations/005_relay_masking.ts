import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { ts } from './types.ts';

// Relay rules and their audit (one row per relayed text, one per destination tried), and
// masking sessions with their legs (participant → proxy, unique while active).
export const m005: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('relay_rules')
      .addColumn('number', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('destinations', 'text', (c) => c.notNull())
      .addColumn('template', 'text', (c) => c.notNull())
      .addColumn('active', 'integer', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .execute();
    await db.schema.createTable('relays')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('number', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('destinations', 'text', (c) => c.notNull())
      .addColumn('inbound_id', 'text')
      .addColumn('provider_id', 'text')
      .addColumn('provider_message_id', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('hops', 'integer', (c) => c.notNull())
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('deadline_at', ts)
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('relays_provider_message').unique().on('relays').columns(['provider_id', 'provider_message_id']).execute();
    await sql`CREATE INDEX relays_due ON relays (deadline_at) WHERE status = 'forwarding'`.execute(db);
    await db.schema.createIndex('relays_number').on('relays').columns(['number', 'id']).execute();
    await db.schema.createTable('relay_attempts')
      .addColumn('relay_id', 'text', (c) => c.notNull())
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('destination', 'text', (c) => c.notNull())
      .addColumn('message_id', 'text')
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('detail', 'text')
      .addColumn('started_at', ts, (c) => c.notNull())
      .addColumn('finished_at', ts)
      .addPrimaryKeyConstraint('relay_attempts_pk', ['relay_id', 'position'])
      .execute();
    await db.schema.createTable('masks')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('context_id', 'text')
      .addColumn('participant_a', 'text', (c) => c.notNull())
      .addColumn('proxy_a', 'text', (c) => c.notNull())
      .addColumn('participant_b', 'text', (c) => c.notNull())
      .addColumn('proxy_b', 'text', (c) => c.notNull())
      .addColumn('expires_at', ts, (c) => c.notNull())
      .addColumn('ended_at', ts)
      .addColumn('end_reason', 'text')
      .addColumn('messages_a', 'integer', (c) => c.notNull())
      .addColumn('messages_b', 'integer', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('masks_account').on('masks').columns(['account_id', 'id']).execute();
    await sql`CREATE INDEX masks_open ON masks (expires_at) WHERE ended_at IS NULL`.execute(db);
    await db.schema.createTable('mask_legs')
      .addColumn('mask_id', 'text', (c) => c.notNull())
      .addColumn('participant', 'text', (c) => c.notNull())
      .addColumn('proxy', 'text', (c) => c.notNull())
      .addColumn('expires_at', ts, (c) => c.notNull())
      .addColumn('active', 'integer', (c) => c.notNull())
      .execute();
    await sql`CREATE UNIQUE INDEX mask_legs_active ON mask_legs (proxy, participant) WHERE active = 1`.execute(db);
    await db.schema.createIndex('mask_legs_mask').on('mask_legs').column('mask_id').execute();
  },
};
