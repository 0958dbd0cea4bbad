// Report rollups (services/reports.ts) as the dashboard meets them: reports opened
// together read the ledger once, and what they answer is what the ledger holds.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { activity, deliveryReport } from '../../src/services/reports.ts';
import { idAt } from '../../src/domain/ids.ts';
import { messageRow } from '../helpers/rows.ts';

describe('report rollups', () => {
  it('two reports opened together roll the day up once, and agree with the ledger', async () => {
    const store = new SqliteStore(':memory:');
    await store.migrate();
    const now = Date.now();
    const rows = Array.from({ length: 300 }, (_, i) => {
      const final = now - 20 * 3_600_000 + i * 200_000;
      return messageRow({ id: idAt('msg', final - 5_000), created_at: final - 5_000, status: i % 3 ? 'delivered' : 'failed', provider_id: 'p', sent_at: final - 1_000, final_at: final });
    });
    await store.insertMessages(rows.map((row) => ({ row, idempotency: null })));
    let reads = 0;
    const finalMessages = store.finalMessages.bind(store);
    store.finalMessages = (...a) => { reads++; return finalMessages(...a); };

    const day = { groupBy: 'provider' as const, since: now - 86_400_000, until: now, now };
    const [a, b, act] = await Promise.all([deliveryReport(store, day), deliveryReport(store, day), activity(store, { minutes: 1440, now })]);
    // 24 hourly chunks rolled up once, then each report's two unsettled edges.
    assert.ok(reads <= 24 + 3 * 2, `the ledger was read ${reads} times`);
    assert.deepEqual(a, b);
    assert.deepEqual(a.map((g) => [g.key, g.total, g.by_status]), [['p', 300, { delivered: 200, failed: 100 }]]);
    assert.equal(act.reduce((n, m) => n + m.delivered, 0), 200);
    assert.equal(act.reduce((n, m) => n + m.accepted, 0), 300);
    await store.close();
  });
});
