// Contract cases for the ReportRollups port (run on every store by ../store-suite.ts).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import type { ReportRollupRow, Store } from '../../../src/store/store.ts';
import { newId } from '../../../src/domain/ids.ts';

export function reportsCases(get: () => Store): void {
  describe('ReportRollups', () => {
    let store: Store;
    before(() => { store = get(); });
    // Minutes far in the past, apart for each case: the suite's store is shared.
    let base = Math.floor((Date.now() - 400 * 86_400_000) / 60_000) * 60_000;
    const minutes = () => { base -= 3_600_000; return [0, 1, 2, 3].map((i) => base + i * 60_000); };
    const row = (start: number, over: Partial<ReportRollupRow> = {}): ReportRollupRow => ({
      start, account_id: `acct_${newId('msg')}`, provider_id: 'p1', country: 'US', status: 'delivered', n: 3, price_micros: 23_700, latency: '{"2":2,"10":1}', ...over,
    });

    it('stores a rollup once: its minutes (empty ones too) and its rows, by account', async () => {
      const [m0, m1, m2, m3] = minutes();
      const a = row(m0);
      const b = row(m0, { account_id: a.account_id, provider_id: '', country: '', status: 'accepted', n: 5, price_micros: 0, latency: null });
      const c = row(m2, { status: 'failed', latency: null, price_micros: 9_007_199_254 });
      await store.saveRollups('minute', [m0, m1, m2], [a, b, c], Date.now());
      assert.deepEqual(await store.rolledUp('minute', m0, m3 + 60_000), [m0, m1, m2], 'the empty minute is rolled up; the one not given is not');
      const byKey = (rows: ReportRollupRow[]) => rows.map((r) => JSON.stringify(r)).sort();
      assert.deepEqual(byKey(await store.rollups('minute', m0, m3, a.account_id)), byKey([a, b]));
      assert.deepEqual(byKey(await store.rollups('minute', m0, m3)), byKey([a, b, c]), "every account's");
      assert.deepEqual(await store.rollups('minute', m1, m2), [], 'an empty minute has no rows');
      // Rolled up again (another process got there too): the first rollup stands.
      await store.saveRollups('minute', [m0, m3], [row(m0, { account_id: a.account_id, n: 99 }), row(m3)], Date.now());
      assert.deepEqual(byKey(await store.rollups('minute', m0, m1, a.account_id)), byKey([a, b]));
      assert.equal((await store.rollups('minute', m3, m3 + 60_000)).length, 1, 'a minute not stored before is');
      assert.deepEqual(await store.rolledUp('minute', m0, m3 + 60_000), [m0, m1, m2, m3]);
    });

    it('keeps minutes and hours apart', async () => {
      const [m0] = minutes();
      const hour = row(m0, { n: 60 });
      await store.saveRollups('hour', [m0], [hour], Date.now());
      assert.deepEqual(await store.rolledUp('minute', m0, m0 + 60_000), [], 'an hour rolled up is not its first minute');
      assert.deepEqual(await store.rollups('minute', m0, m0 + 60_000), []);
      assert.deepEqual(await store.rolledUp('hour', m0, m0 + 1), [m0]);
      assert.deepEqual(await store.rollups('hour', m0, m0 + 1), [hour]);
    });

    it('purges the rollups of minutes before a time', async () => {
      const [m0, m1, m2] = minutes();
      await store.saveRollups('minute', [m0, m1, m2], [row(m0), row(m1), row(m2)], Date.now());
      assert.ok(await store.purgeRollups(m2) >= 2);
      assert.deepEqual(await store.rolledUp('minute', m0, m2 + 60_000), [m2]);
      assert.deepEqual((await store.rollups('minute', m0, m2 + 60_000)).map((r) => r.start), [m2]);
    });
  });
}
