// Chooses the store from the config: a postgres:// DATABASE_URL means PostgreSQL,
// anything else the embedded SQLite file in the data directory.
import { join } from 'node:path';
import type { Config } from '../config.ts';
import type { Store } from './store.ts';
import { SqliteStore } from './sqlite/sqlite-store.ts';
import { PostgresStore } from './postgres/postgres-store.ts';
import { ThreadedSqliteStore } from './sqlite/threaded-store.ts';

/**
 * `writerThread`: SQLite's hot writes go to a writer thread (threaded-store.ts); a
 * server that sends decides so (SWITCHBOARD_SQLITE_WRITER_THREAD), a CLI command never.
 */
export async function openStore(config: Pick<Config, 'databaseUrl' | 'dataDir' | 'databasePoolSize'>, opts: { writerThread?: boolean } = {}): Promise<Store> {
  const url = config.databaseUrl;
  const path = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : join(config.dataDir, 'switchboard.db');
  const store = /^postgres(ql)?:\/\//.test(url)
    ? new PostgresStore(url, { max: config.databasePoolSize })
    : opts.writerThread && path !== ':memory:' ? new ThreadedSqliteStore(path) : new SqliteStore(path);
  await store.migrate();
  return store;
}
