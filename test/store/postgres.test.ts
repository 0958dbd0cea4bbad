import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runStoreSuite } from './store-suite.ts';
import { makePostgresStore, testSchema } from '../helpers/stores.ts';
import { pgSkip } from '../helpers/env.ts';
import { newMessage } from '../helpers/rows.ts';
import { eventually } from '../helpers/app.ts';

runStoreSuite('postgres', makePostgresStore, pgSkip);

describe('postgres queue notifications', { skip: pgSkip }, () => {
  // The channel is database-wide and other tests insert too: this asserts that an insert
  // wakes a listener, not how many wakes there are.
  it('wakes a worker listening on another connection when a batch is inserted', async () => {
    const schema = testSchema();
    const writer = await makePostgresStore(schema);
    const worker = await makePostgresStore(schema);
    try {
      let wakes = 0;
      await worker.store.listen({ wake: () => { wakes++; } });
      await writer.store.insertMessages([newMessage(), newMessage()]);
      await eventually(async () => wakes >= 1, 10_000, 'a notification');
    } finally {
      await worker.store.close();
      await writer.dispose();
    }
  });

  it('tells a listener on another connection when configuration changes, and the version moved', async () => {
    const schema = testSchema();
    const writer = await makePostgresStore(schema);
    const other = await makePostgresStore(schema);
    try {
      let heard = 0;
      await other.store.listen({ config: () => { heard++; } });
      const before = await other.store.configVersion();
      await writer.store.upsertCountryRule({ country: 'FR', require_local: 0, allow_alphanumeric: 1, providers: null, created_at: 1, updated_at: 1 });
      await eventually(async () => heard >= 1, 10_000, 'a configuration notification');
      assert.ok((await other.store.configVersion()) > before, 'the version moved');
    } finally {
      await other.store.close();
      await writer.dispose();
    }
  });
});
