// Chooses the store from the config: a postgres:// DATABASE_URL means PostgreSQL,
// anything else the embedded SQLite file in the data directory.
import { join } from 'node:path';
import type { Config } from '../config.ts';
import type { Store } from './store.ts';
import { SqliteStore } from './sqlite/sqlite-store.ts';
import { PostgresStore } from './postgres/postgres-store.ts';
import { ThreadedSqliteStore } from './sqlite/threaded-store.ts';

/**
 * `server`: the store of a running server, whose SQLite writes go to a writer thread
 * (SWITCHBOARD_SQLITE_WRITER_THREAD); a short CLI command writes on its own thread.
 */
export async function openStore(config: Pick<Config, 'databaseUrl' | 'dataDir' | 'databasePoolSize' | 'sqliteWriterThread'>, opts: { server?: boolean } = {}): Promise<Store> {
  const url = config.databaseUrl;
  const path = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : join(config.dataDir, 'switchboard.db');
  const store = /^postgres(ql)?:\/\//.test(url)
    ? new PostgresStore(url, { max: config.databasePoolSize })
    : opts.server && config.sqliteWriterThread && path !== ':memory:' ? new ThreadedSqliteStore(path) : new SqliteStore(path);
  await store.migrate();
  return store;
}
