// A small adapter so Kysely's SqliteDialect (written for better-sqlite3) drives
// node:sqlite. Prepared statements are cached by SQL text: the hot paths re-run the
// same few statements thousands of times a second.
import type { DatabaseSync, StatementSync, SQLInputValue } from 'node:sqlite';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

export class StatementCache {
  readonly db: DatabaseSync;
  readonly #cache = new Map<string, StatementSync>();
  constructor(db: DatabaseSync) { this.db = db; }
  get(sql: string): StatementSync {
    let s = this.#cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      if (this.#cache.size > 500) this.#cache.clear();
      this.#cache.set(sql, s);
    }
    return s;
  }
}

function params(p: ReadonlyArray<unknown>): SQLInputValue[] {
  return p.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v === undefined ? null : v)) as SQLInputValue[];
}

export function kyselyDatabase(cache: StatementCache): SqliteDatabase {
  return {
    close() { /* the store owns the connection and closes it */ },
    prepare(sql: string): SqliteStatement {
      const stmt = cache.get(sql);
      return {
        reader: stmt.columns().length > 0,
        all: (p) => stmt.all(...params(p)),
        run: (p) => stmt.run(...params(p)),
        iterate: (p) => stmt.iterate(...params(p)) as IterableIterator<unknown>,
      };
    },
  };
}
