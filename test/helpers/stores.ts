// Store factories for tests: a fresh SQLite file in a temp dir, or an isolated
// PostgreSQL schema that is dropped when the store is disposed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { ThreadedSqliteStore } from '../../src/store/sqlite/threaded-store.ts';
import type { Store } from '../../src/store/store.ts';
import { RECEIPT_PLANNER } from '../../src/receipts/plan.ts';
import { TEST_DATABASE_URL } from './env.ts';

export interface TestStore { store: Store; dispose(): Promise<void> }

export function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'switchboard-test-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** `threaded`: the hot writes on a writer thread, as `switchboard serve` opens a file. */
export async function makeSqliteStore(threaded = false): Promise<TestStore> {
  const dir = tempDir();
  const path = join(dir.path, 'test.db');
  const store = threaded ? new ThreadedSqliteStore(path, { receiptPlanner: RECEIPT_PLANNER }) : new SqliteStore(path);
  await store.migrate();
  return { store, dispose: async () => { await store.close(); dir.remove(); } };
}

export function testSchema(): string {
  return `t_${randomBytes(6).toString('hex')}`;
}

export async function makePostgresStore(schema = testSchema(), opts: { ledgerByMonth?: boolean; notifyEveryMs?: number } = {}): Promise<TestStore & { store: PostgresStore }> {
  const store = new PostgresStore(TEST_DATABASE_URL, { schema, max: 4, ...opts });
  await store.migrate();
  return { store, dispose: async () => { await store.dropSchema(); await store.close(); } };
}
