import type { Migration } from 'kysely/migration';
import { ts } from './types.ts';

// Report rollups: reports and the dashboard read a settled minute's (or hour's) counts from
// here instead of every message final in it (ports/reports.ts, services/reports.ts). A
// span's rows and its mark in report_rollups_done are written once: by the first report
// that reads it, or by a worker process's minutely run over the last day.
export const m010: Migration = {
  async up(db) {
    await db.schema.createTable('report_rollups')
      .addColumn('span', 'text', (c) => c.notNull())
      .addColumn('start', ts, (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('provider_id', 'text', (c) => c.notNull())
      .addColumn('country', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('n', 'integer', (c) => c.notNull())
      .addColumn('price_micros', 'bigint', (c) => c.notNull())
      .addColumn('latency', 'text')
      .addPrimaryKeyConstraint('report_rollups_pk', ['span', 'start', 'account_id', 'provider_id', 'country', 'status'])
      .execute();
    await db.schema.createTable('report_rollups_done')
      .addColumn('span', 'text', (c) => c.notNull())
      .addColumn('start', ts, (c) => c.notNull())
      .addColumn('done_at', ts, (c) => c.notNull())
      .addPrimaryKeyConstraint('report_rollups_done_pk', ['span', 'start'])
      .execute();
  },
};
