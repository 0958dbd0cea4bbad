// One node:sqlite connection as the embedded store opens it (WAL, synchronous=FULL), its
// cached statements, and its transactions: one synchronous BEGIN IMMEDIATE…COMMIT block
// at a time, or, inside `batch`, a savepoint per write within one shared commit.
import { DatabaseSync } from 'node:sqlite';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { StatementCache } from './node-sqlite-dialect.ts';

export class SqliteConn {
  readonly db: DatabaseSync;
  readonly stmts: StatementCache;
  #inBatch = false;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new DatabaseSync(path);
    // WAL + FULL: a commit is durable once COMMIT returns. busy_timeout lets several
    // connections (an api and a worker process, the writer thread) share one file; it is
    // set first, so even switching to WAL waits for a lock instead of failing.
    // temp_store in memory: the savepoint that wraps each write of a shared transaction
    // (batch) journals every page it changes; in a temp file that was a third of all
    // bytes written under load (measured), for a journal that never outlives its commit.
    db.exec('PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;');
    this.db = db;
    this.stmts = new StatementCache(db);
  }

  close(): void { if (this.db.isOpen) this.db.close(); }

  /**
   * Several writes in one transaction, one commit: each write keeps its own savepoint,
   * so one that fails is undone alone. `durable`: commit with synchronous=FULL (some
   * write in it must be on disk when it resolves); otherwise NORMAL, as redoable writes do.
   */
  batch<T>(durable: boolean, fn: () => T): T {
    return this.tx(() => {
      this.#inBatch = true;
      try { return fn(); } finally { this.#inBatch = false; }
    }, !durable);
  }

  /** Runs a transaction-control statement, prepared once (exec would parse it every time). */
  #control(sql: string): void {
    this.stmts.get(sql).run();
  }

  /** `redoable`: worker bookkeeping that is redone after a power cut (commits without waiting for the disk). */
  tx<T>(fn: () => T, redoable = false): T {
    if (this.#inBatch) {
      this.#control('SAVEPOINT write');
      try {
        const r = fn();
        this.#control('RELEASE write');
        return r;
      } catch (err) {
        this.#control('ROLLBACK TO write');
        this.#control('RELEASE write');
        throw err;
      }
    }
    if (redoable) this.#control('PRAGMA synchronous = NORMAL');
    // BEGIN IMMEDIATE takes the write lock up front, so a concurrent writer in another
    // process waits (busy_timeout) instead of failing half-way.
    this.#control('BEGIN IMMEDIATE');
    try {
      const r = fn();
      this.#control('COMMIT');
      return r;
    } catch (err) {
      if (this.db.isTransaction) this.#control('ROLLBACK');
      throw err;
    } finally {
      if (redoable) this.#control('PRAGMA synchronous = FULL');
    }
  }
}
