// One contract suite for every Store implementation (DESIGN.md §3): the SQLite and the
// PostgreSQL store must behave the same, so both run exactly these cases, one file of
// cases per port (areas/*.ts). coverage.test.ts checks that every method of the store
// is exercised by name somewhere in them.
import { describe, before, after } from 'node:test';
import type { Store } from '../../src/store/store.ts';
import type { TestStore } from '../helpers/stores.ts';
import { ledgerCases } from './areas/ledger.ts';
import { webhooksCases } from './areas/webhooks.ts';
import { callbacksCases } from './areas/callbacks.ts';
import { recordsCases } from './areas/records.ts';
import { relaysCases } from './areas/relays.ts';
import { masksCases } from './areas/masks.ts';
import { alertsCases } from './areas/alerts.ts';
import { lifecycleCases } from './areas/lifecycle.ts';
import { reportsCases } from './areas/reports.ts';
import { conversationsCases } from './areas/conversations.ts';
import { attemptBucketsCases } from './areas/attempt-buckets.ts';
import { outboxCases } from './areas/outbox.ts';
import { lookupsCases } from './areas/lookups.ts';
import { auditCases } from './areas/audit.ts';
import { consentCases } from './areas/consent.ts';
import { batchesCases } from './areas/batches.ts';

export function runStoreSuite(name: string, make: () => Promise<TestStore>, skip: string | false = false): void {
  describe(`store contract: ${name}`, { skip }, () => {
    let t: TestStore;
    before(async () => { t = await make(); });
    after(async () => { await t?.dispose(); });
    const store = (): Store => t.store;
    ledgerCases(store);
    webhooksCases(store);
    callbacksCases(store);
    recordsCases(store);
    relaysCases(store);
    masksCases(store);
    alertsCases(store);
    reportsCases(store);
    conversationsCases(store);
    attemptBucketsCases(store);
    outboxCases(store);
    lookupsCases(store);
    auditCases(store);
    consentCases(store);
    batchesCases(store);
    lifecycleCases(store);
  });
}
