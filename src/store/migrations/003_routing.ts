import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { ts } from './types.ts';

// Routing: the pool of owned numbers, per-country compliance rules, failovers marked on
// attempts (the health window and /v1/status read attempts by time), alert episodes.
export const m003: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('numbers')
      .addColumn('number', 'text', (c) => c.primaryKey())
      .addColumn('provider_id', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('country', 'text')
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('capabilities', 'text', (c) => c.notNull())
      .addColumn('rate_per_second', 'real', (c) => c.notNull())
      .addColumn('pool', 'text', (c) => c.notNull())
      .addColumn('active', 'integer', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .execute();
    await db.schema.createTable('country_rules')
      .addColumn('country', 'text', (c) => c.primaryKey())
      .addColumn('require_local', 'integer', (c) => c.notNull())
      .addColumn('allow_alphanumeric', 'integer', (c) => c.notNull())
      .addColumn('providers', 'text')
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .execute();
    await db.schema.alterTable('attempts').addColumn('failover', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.createIndex('attempts_started').on('attempts').columns(['started_at']).execute();
    await db.schema.createIndex('messages_to_sent').on('messages').columns(['to_number', 'sent_at']).execute();
    await db.schema.createTable('alerts')
      .addColumn('rule', 'text', (c) => c.primaryKey())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('detail', 'text')
      .addColumn('fired_at', ts)
      .addColumn('resolved_at', ts)
      .addColumn('updated_at', ts, (c) => c.notNull())
      .execute();
  },
};
