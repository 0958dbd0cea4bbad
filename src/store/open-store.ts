// Chooses the store from the config: a postgres:// DATABASE_URL means PostgreSQL,
// anything else the embedded SQLite file in the data directory.
import { join } from 'node:path';
import type { Config } from '../config.ts';
import type { ReceiptPlannerModule, Store } from './store.ts';
import { SqliteStore } from './sqlite/sqlite-store.ts';
import { PostgresStore } from './postgres/postgres-store.ts';
import { ThreadedSqliteStore } from './sqlite/threaded-store.ts';

/**
 * `writerThread`: SQLite's hot writes go to a writer thread (threaded-store.ts); a
 * server that sends decides so (SWITCHBOARD_SQLITE_WRITER_THREAD), a CLI command never;
 * `receiptPlanner` is then the planner that applies receipts there.
 */
export async function openStore(config: Pick<Config, 'databaseUrl' | 'dataDir' | 'databasePoolSize' | 'pgPrepared'>, opts: { writerThread?: boolean; receiptPlanner?: ReceiptPlannerModule } = {}): Promise<Store> {
  const url = config.databaseUrl;
  const path = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : join(config.dataDir, 'switchboard.db');
  const store = /^postgres(ql)?:\/\//.test(url)
    ? new PostgresStore(url, { max: config.databasePoolSize, prepared: config.pgPrepared })
    : opts.writerThread && path !== ':memory:' ? new ThreadedSqliteStore(path, { receiptPlanner: opts.receiptPlanner }) : new SqliteStore(path);
  await store.migrate();
  return store;
}

/**
 * How many group-commit batches (group-commit.ts) a writer may keep outstanding on this
 * store: 2 where a writer thread queues the next batch while one commits, else 1.
 */
export function batchesInFlight(store: Store): number {
  return store instanceof ThreadedSqliteStore ? store.batchesInFlight : 1;
}
