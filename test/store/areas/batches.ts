// Contract cases for the BatchStore port (run on every store by ../store-suite.ts).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import type { BatchRow, Store } from '../../../src/store/store.ts';
import { newId } from '../../../src/domain/ids.ts';
import { newMessage } from '../../helpers/rows.ts';

function batchRow(over: Partial<BatchRow> = {}): BatchRow {
  const now = Date.now();
  return { id: newId('bat'), account_id: 'acc_batches', idempotency_key: null, request_hash: 'h', state: 'accepting', total: 2, accepted: 0, refused: '[]', created_at: now, updated_at: now, ...over };
}

export function batchesCases(get: () => Store): void {
  describe('BatchStore', () => {
    let store: Store;
    before(() => { store = get(); });

    it('creates a batch once per idempotency key, finishes it, and lists the account\'s newest first', async () => {
      const first = batchRow({ idempotency_key: 'k1' });
      assert.equal((await store.createBatch(first)).created, true);
      const again = await store.createBatch(batchRow({ idempotency_key: 'k1', request_hash: 'other' }));
      assert.deepEqual([again.created, again.batch.id, again.batch.request_hash], [false, first.id, 'h']);
      const second = batchRow();
      await store.createBatch(second);
      await store.finishBatch(first.id, 2, '[{"index":1}]', Date.now());
      const got = await store.getBatch('acc_batches', first.id);
      assert.deepEqual([got?.state, got?.accepted, got?.refused], ['accepted', 2, '[{"index":1}]']);
      assert.equal(await store.getBatch('acc_other', first.id), undefined, 'another account\'s');
      assert.deepEqual((await store.listBatches('acc_batches', undefined, 10)).map((b) => b.id), [second.id, first.id]);
      assert.deepEqual((await store.listBatches('acc_batches', second.id, 10)).map((b) => b.id), [first.id]);
    });

    it('counts a batch\'s messages by status and lists the ones that did not make it', async () => {
      const b = batchRow();
      await store.createBatch(b);
      const [ok, bad] = [newMessage({ batch_id: b.id }), newMessage({ batch_id: b.id, status: 'failed', error_code: 'invalid_number', final_at: Date.now(), next_attempt_at: null })];
      await store.insertMessages([ok, bad, newMessage()]);
      assert.deepEqual(await store.batchCounts(b.id), { queued: 1, failed: 1 });
      const failures = await store.batchFailures(b.id);
      assert.deepEqual(failures.map((f) => [f.id, f.error_code]), [[bad.row.id, 'invalid_number']]);
    });
  });
}
