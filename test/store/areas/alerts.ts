// Contract cases for the AlertStore port (run on every store by ../store-suite.ts).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../../../src/store/store.ts';
import { newId } from '../../../src/domain/ids.ts';

export function alertsCases(get: () => Store): void {
  describe('AlertStore', () => {
    let store: Store;
    before(() => { store = get(); });

    it('moves a rule between ok and firing, and only the call that moved it hears true', async () => {
      const rule = `rule_${newId('evt')}`;
      const now = Date.now();
      assert.equal(await store.setAlertState(rule, 'ok', null, now), false, 'a new rule starts ok');
      const racers = await Promise.all([store.setAlertState(rule, 'firing', '3 failovers', now), store.setAlertState(rule, 'firing', '3 failovers', now)]);
      assert.deepEqual(racers.sort(), [false, true], 'two workers, one notification');
      const firing = (await store.listAlerts()).find((a) => a.rule === rule);
      assert.deepEqual([firing?.state, firing?.detail, firing?.fired_at], ['firing', '3 failovers', now]);
      assert.equal(await store.setAlertState(rule, 'ok', null, now + 1), true);
      assert.equal((await store.listAlerts()).find((a) => a.rule === rule)?.resolved_at, now + 1);
    });
  });
}
