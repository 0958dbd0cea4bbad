// Contract cases for the StoreLifecycle port (run on every store by ../store-suite.ts).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import type { Outcome, ReceiptWrite, Store } from '../../../src/store/store.ts';
import { newMessage, messageRow, webhookRow } from '../../helpers/rows.ts';
import { newId } from '../../../src/domain/ids.ts';
import { planReceipt } from '../../../src/receipts/plan.ts';
import { callbackFor } from '../../../src/callbacks/enqueue.ts';
import { part, receiptFor, sentMessage } from './helpers.ts';

export function lifecycleCases(get: () => Store): void {
  describe('StoreLifecycle', () => {
    let store: Store;
    before(() => { store = get(); });

    it('migrating twice is a no-op', async () => {
      await store.migrate();
      await store.ping();
    });
  });
}
