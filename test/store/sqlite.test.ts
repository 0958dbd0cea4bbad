import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runStoreSuite } from './store-suite.ts';
import { makeSqliteStore, tempDir } from '../helpers/stores.ts';
import { spawnSync } from 'node:child_process';
import { newMessage, webhookRow } from '../helpers/rows.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { ThreadedSqliteStore } from '../../src/store/sqlite/threaded-store.ts';
import { startApp } from '../helpers/app.ts';

runStoreSuite('sqlite', () => makeSqliteStore());
runStoreSuite('sqlite, writes on the writer thread', () => makeSqliteStore(true));

describe('sqlite migrations', () => {
  it('two processes starting together on a new file migrate it once, without failing', async () => {
    const dir = tempDir();
    const path = join(dir.path, 'switchboard.db');
    const a = new SqliteStore(path);
    const b = new SqliteStore(path);
    try {
      await Promise.all([a.migrate(), b.migrate()]);
      await a.insertMessages([newMessage()]);
      assert.equal((await b.listMessages({ accountId: 'default', limit: 10 })).length, 1);
    } finally {
      await a.close(); await b.close(); dir.remove();
    }
  });
});

describe('sqlite writer thread', () => {
  it('writes posted together commit together, and one that fails fails alone with its own error', async () => {
    const dir = tempDir();
    const store = new ThreadedSqliteStore(join(dir.path, 'switchboard.db'));
    try {
      await store.migrate();
      const w = webhookRow();
      await store.insertWebhooks([w]);
      const m = newMessage();
      // Posted in one tick, so the thread runs them in one transaction.
      const [dup, inserted] = await Promise.allSettled([store.insertWebhooks([w]), store.insertMessages([m])]);
      assert.equal(dup.status, 'rejected');
      assert.match(String((dup as PromiseRejectedResult).reason), /UNIQUE constraint failed: webhooks\.id/);
      assert.equal(inserted.status, 'fulfilled');
      // Read back on the calling thread's own connection: committed before the promise resolved.
      assert.equal((await store.getMessage(null, m.row.id))?.id, m.row.id);
      assert.equal((await store.listWebhooks({ newest: 10 })).length, 1);
    } finally {
      await store.close(); dir.remove();
    }
  });

  it('an open store keeps no process alive once its writes are done', () => {
    const dir = tempDir();
    try {
      const script = `
        import { ThreadedSqliteStore } from ${JSON.stringify(join(import.meta.dirname, '../../src/store/sqlite/threaded-store.ts'))};
        const store = new ThreadedSqliteStore(${JSON.stringify(join(dir.path, 'switchboard.db'))});
        await store.migrate();
        await store.insertWebhooks([{ id: 'wh_1', provider_id: 'sim', kind: 'status', url: 'http://x', headers: '{}', body: '', received_at: 1, process_after: 1, processed_at: null, lease_until: null, attempts: 0, error: null }]);
        console.log('written');`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.signal, null, 'the process had to be killed: the writer thread kept it alive');
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'written');
    } finally {
      dir.remove();
    }
  });
});

describe('which servers write on the writer thread', () => {
  for (const [role, setting, threaded] of [['all', 'auto', true], ['worker', 'auto', true], ['api', 'auto', false], ['api', 'on', true], ['all', 'off', false]] as const) {
    it(`role ${role} with SWITCHBOARD_SQLITE_WRITER_THREAD=${setting}: ${threaded ? 'the writer thread' : 'its own thread'}`, async () => {
      const t = await startApp({ role, sqliteWriterThread: setting });
      try {
        assert.equal(t.ctx().store instanceof ThreadedSqliteStore, threaded);
      } finally {
        await t.stop();
      }
    });
  }
});

describe('sqlite rows', () => {
  it('reads rows as plain objects with node:sqlite\'s own names and values, whatever the column names', async () => {
    const { DatabaseSync } = await import('node:sqlite');
    const { StatementCache } = await import('../../src/store/sqlite/node-sqlite-dialect.ts');
    const db = new DatabaseSync(':memory:');
    try {
      db.exec(`CREATE TABLE t (id TEXT, n INTEGER, x REAL, b BLOB, "odd ""name""" TEXT); INSERT INTO t VALUES ('a', 1, 1.5, x'00ff', 'q'), ('b', NULL, NULL, NULL, NULL)`);
      const cache = new StatementCache(db);
      for (const sql of ['SELECT * FROM t ORDER BY id', 'SELECT id, n AS id, count(*) OVER () AS "count(*)" FROM t ORDER BY rowid']) {
        const own = db.prepare(sql).all();
        const ours = cache.rows(sql).all();
        assert.deepEqual(ours.map((r) => ({ ...r })), own.map((r) => ({ ...r })), sql);
        assert.ok(ours.every((r) => Object.getPrototypeOf(r) === Object.prototype));
        assert.deepEqual({ ...cache.rows(sql).get() }, { ...db.prepare(sql).get() });
      }
      assert.equal(cache.rows('SELECT * FROM t WHERE id = ?').get('none'), undefined);
    } finally {
      db.close();
    }
  });

  it('names the columns a statement has when it runs: one prepared on a schema another connection has since migrated reads the new column', async () => {
    const { DatabaseSync } = await import('node:sqlite');
    const { StatementCache } = await import('../../src/store/sqlite/node-sqlite-dialect.ts');
    const dir = tempDir();
    const path = join(dir.path, 'schema.db');
    const a = new DatabaseSync(path);
    const b = new DatabaseSync(path);
    try {
      a.exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)");
      const cache = new StatementCache(a);
      assert.deepEqual({ ...cache.rows('SELECT * FROM t').get() }, { x: 1 }, 'a has loaded the schema');
      // The writer thread's connection, opened while the main one migrates: prepared on what it loaded.
      b.exec("ALTER TABLE t ADD COLUMN y TEXT; UPDATE t SET y = 'new'");
      assert.deepEqual({ ...cache.rows('SELECT * FROM t').get() }, { x: 1, y: 'new' }, 'a cached statement');
      assert.deepEqual({ ...cache.rows('UPDATE t SET x = 2 RETURNING *').get() }, { x: 2, y: 'new' }, 'a statement prepared now');
    } finally {
      a.close();
      b.close();
      dir.remove();
    }
  });
});
