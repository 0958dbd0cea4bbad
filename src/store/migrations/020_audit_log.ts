import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { ts } from './types.ts';
import { GENESIS_HASH } from '../../domain/audit.ts';

// The audit log of configuration changes (domain/audit.ts): entries numbered without gaps,
// each chained to the one before by hash, and the chain's head (last seq and hash, and the
// checkpoint retention leaves where it cut). Every audited change takes the head's row
// first, so changes are chained one at a time on both databases.
export const m020: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('audit_log')
      .addColumn('seq', ts, (c) => c.primaryKey())
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('at', ts, (c) => c.notNull())
      .addColumn('account_id', 'text')
      .addColumn('actor_kind', 'text', (c) => c.notNull())
      .addColumn('actor_id', 'text')
      .addColumn('actor_name', 'text')
      .addColumn('request_id', 'text')
      .addColumn('object', 'text', (c) => c.notNull())
      .addColumn('object_id', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('changed', 'text', (c) => c.notNull())
      .addColumn('before', 'text')
      .addColumn('after', 'text')
      .addColumn('prev_hash', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('audit_log_account').on('audit_log').columns(['account_id', 'seq']).execute();
    await db.schema.createIndex('audit_log_object').on('audit_log').columns(['object', 'object_id', 'seq']).execute();
    await db.schema.createIndex('audit_log_at').on('audit_log').column('at').execute();
    await db.schema.createTable('audit_head')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('n', ts, (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .addColumn('checkpoint_seq', ts, (c) => c.notNull())
      .addColumn('checkpoint_hash', 'text', (c) => c.notNull())
      .execute();
    await db.insertInto('audit_head').values({ id: 1, n: 0, hash: GENESIS_HASH, checkpoint_seq: 0, checkpoint_hash: GENESIS_HASH }).execute();
  },
};
