// Chooses the store from the config: a postgres:// DATABASE_URL means PostgreSQL,
// anything else the embedded SQLite file in the data directory.
import { join } from 'node:path';
import type { Config } from '../config.ts';
import type { ReceiptPlannerModule, Store } from './store.ts';
import { SqliteStore } from './sqlite/sqlite-store.ts';
import { PostgresStore } from './postgres/postgres-store.ts';
import { ThreadedSqliteStore } from './sqlite/threaded-store.ts';
import { regionalStore } from './regional/regional-store.ts';
import { regionMapOf } from '../config.ts';

/**
 * `batchWindowMs` (a server's): how often at most PostgreSQL's NOTIFYs go out (notify-pacer.ts).
 * `writerThread`: SQLite's hot writes go to a writer thread (threaded-store.ts); a
 * server that sends decides so (SWITCHBOARD_SQLITE_WRITER_THREAD), a CLI command never;
 * `receiptPlanner` is then the planner that applies receipts there.
 */
export async function openStore(config: Pick<Config, 'databaseUrl' | 'dataDir' | 'databasePoolSize' | 'pgPrepared' | 'pgLedgerByMonth' | 'regions' | 'regionCountries' | 'workerRegions'> & Partial<Pick<Config, 'batchWindowMs'>>, opts: { writerThread?: boolean; receiptPlanner?: ReceiptPlannerModule } = {}): Promise<Store> {
  const map = regionMapOf(config);
  const home = openOne(config.databaseUrl, 'switchboard', config, opts);
  // Each region's store: its URL, or a SQLite file of its own next to the home one. Every
  // store is migrated at start; once running, a region that is away makes only its own
  // data unavailable (region_unavailable).
  const store = map ? regionalStore(home, map.regions.map((r) => openOne(r.url ?? '', `switchboard-${r.name}`, config, opts)), map, config.workerRegions) : home;
  await store.migrate();
  return store;
}

function openOne(url: string, file: string, config: Pick<Config, 'dataDir' | 'databasePoolSize' | 'pgPrepared' | 'pgLedgerByMonth'> & Partial<Pick<Config, 'batchWindowMs'>>, opts: { writerThread?: boolean; receiptPlanner?: ReceiptPlannerModule }): Store {
  const path = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : join(config.dataDir, `${file}.db`);
  return /^postgres(ql)?:\/\//.test(url)
    ? new PostgresStore(url, { max: config.databasePoolSize, prepared: config.pgPrepared, ledgerByMonth: config.pgLedgerByMonth === 'new' ? 'new' : config.pgLedgerByMonth === 'true', notifyEveryMs: config.batchWindowMs })
    : opts.writerThread && path !== ':memory:' ? new ThreadedSqliteStore(path, { receiptPlanner: opts.receiptPlanner }) : new SqliteStore(path);
}

/**
 * How many group-commit batches (group-commit.ts) a writer may keep outstanding on this
 * store: 2 where a writer thread queues the next batch while one commits, else 1.
 */
export function batchesInFlight(store: Store): number {
  return store instanceof ThreadedSqliteStore ? store.batchesInFlight : 1;
}
