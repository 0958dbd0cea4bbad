// Contract cases for the LookupCache port and route-rule records (issue 28), run on every
// store by ../store-suite.ts.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import type { LookupRow, Store } from '../../../src/store/store.ts';
import { newId } from '../../../src/domain/ids.ts';

export function lookupsCases(get: () => Store): void {
  describe('LookupCache and route rules', () => {
    let store: Store;
    before(() => { store = get(); });

    const result = (number: string, now: number, over: Partial<LookupRow> = {}): LookupRow => ({
      number, provider_id: 'sim', line_type: 'mobile', provider_type: 'mobile', carrier: 'Net B', mcc: '310', mnc: '260', ported: 1, price: '0.0050',
      error: null, looked_up_at: now, expires_at: now + 1_000, lease_owner: null, lease_until: null, ...over,
    });

    it('one process at a time claims a number; a fresh result is claimed by nobody until it expires', async () => {
      const number = `+1555${String(Date.now()).slice(-7)}`;
      const t = Date.now();
      assert.equal(await store.claimLookup(number, 'p1', t, 500), true);
      assert.equal(await store.claimLookup(number, 'p2', t + 100, 500), false, 'p1 holds it');
      assert.equal(await store.claimLookup(number, 'p2', t + 600, 500), true, 'the lease of p1 ran out');
      await store.putLookup(result(number, t + 700));
      const got = await store.getLookup(number);
      assert.deepEqual([got?.line_type, got?.mcc, got?.mnc, got?.ported, got?.lease_owner], ['mobile', '310', '260', 1, null]);
      assert.equal(await store.claimLookup(number, 'p3', t + 800, 500), false, 'fresh: nothing to look up');
      assert.equal(await store.claimLookup(number, 'p3', t + 1_800, 500), true, 'expired: looked up again');
      assert.equal((await store.getLookup(number))?.line_type, 'mobile', 'the old result stays until the new one is written');
      assert.equal(await store.getLookup(`${number}9`), undefined);
    });

    it('keeps route rules by prefix and network, replaces one by its match, and deletes it', async () => {
      const match = `+9${newId('msg').slice(-6).replace(/\D/g, '1')}`;
      const now = Date.now();
      await store.upsertRouteRule({ match, providers: JSON.stringify(['a']), created_at: now, updated_at: now });
      await store.upsertRouteRule({ match, providers: JSON.stringify(['b', 'a']), created_at: now + 1, updated_at: now + 1 });
      const mine = (await store.listRouteRules()).filter((r) => r.match === match);
      assert.deepEqual(mine.map((r) => [JSON.parse(r.providers), r.created_at, r.updated_at]), [[['b', 'a'], now, now + 1]]);
      assert.equal(await store.deleteRouteRule(match), true);
      assert.equal(await store.deleteRouteRule(match), false);
      assert.ok(!(await store.listRouteRules()).some((r) => r.match === match));
    });
  });
}
