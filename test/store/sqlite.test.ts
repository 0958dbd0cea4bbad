import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runStoreSuite } from './store-suite.ts';
import { makeSqliteStore, tempDir } from '../helpers/stores.ts';
import { newMessage } from '../helpers/rows.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';

runStoreSuite('sqlite', makeSqliteStore);

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
