// Contract cases for the StoreLifecycle port (run on every store by ../store-suite.ts).
import { describe, it, before } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.ts';
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


    it('copies itself online into a file that opens with everything in it, where the database offers it', async () => {
      if (!store.backup) {
        assert.equal(store.dialect, 'postgres', 'only PostgreSQL leaves backups to its own tools (pg_dump)');
        return;
      }
      const m = newMessage();
      await store.insertMessages([m]);
      const dir = mkdtempSync(join(tmpdir(), 'sb-backup-'));
      try {
        await store.backup(join(dir, 'copy.db'));
        const copy = new SqliteStore(join(dir, 'copy.db'));
        try { assert.equal((await copy.getMessage(null, m.row.id))?.id, m.row.id); } finally { await copy.close(); }
      } finally { rmSync(dir, { recursive: true, force: true }); }
    });
  });
}
