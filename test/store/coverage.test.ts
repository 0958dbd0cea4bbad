// Every method of the store is exercised by name in the contract cases (areas/*.ts), so
// a method added to a port without a case fails here.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';

/** Not port methods: helpers the two implementations share, and the test schema's own clean-up. */
const NOT_PORT = new Set(['metadataValue', 'migrationSchema', 'dropSchema', 'runSteps', 'audited', 'webhooksDone']);
/**
 * Exercised elsewhere: close ends every suite (dispose); listen, listening, callForHelp, leadsQueue and vacuumQueue
 * (PostgreSQL's alone) in postgres.test.ts; batch (SQLite's writer thread runs writes posted
 * together in one) in sqlite.test.ts.
 */
const ELSEWHERE = new Set(['close', 'listen', 'listening', 'callForHelp', 'leadsQueue', 'vacuumQueue', 'batch']);

function methods(cls: { prototype: object }): string[] {
  const names = new Set<string>();
  for (let p = cls.prototype; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const n of Object.getOwnPropertyNames(p)) if (n !== 'constructor' && typeof (p as Record<string, unknown>)[n] === 'function') names.add(n);
  }
  return [...names];
}

describe('store contract coverage', () => {
  it('names every store method in a contract case', () => {
    const dir = join(import.meta.dirname, 'areas');
    const cases = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
    const all = new Set([...methods(SqliteStore), ...methods(PostgresStore)]);
    const missing = [...all].filter((n) => !NOT_PORT.has(n) && !ELSEWHERE.has(n) && !cases.includes(`store.${n}(`));
    assert.deepEqual(missing, []);
    assert.ok(all.size >= 70, `${all.size} methods`);
  });
});
