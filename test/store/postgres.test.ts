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
      await worker.store.listen(() => { wakes++; });
      await writer.store.insertMessages([newMessage(), newMessage()]);
      await eventually(async () => wakes >= 1, 10_000, 'a notification');
    } finally {
      await worker.store.close();
      await writer.dispose();
    }
  });
});
