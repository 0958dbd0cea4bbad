// Contract cases for the ConsentLedger port (run on every store by ../store-suite.ts).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../../../src/store/store.ts';
import { actingAs } from '../../../src/domain/audit.ts';
import { consent } from './helpers.ts';
import { verifyAudit } from '../../../src/services/audit.ts';

export function consentCases(get: () => Store): void {
  describe('ConsentLedger', () => {
    let store: Store;
    before(() => { store = get(); });

    it('keeps every record and leaves one opt-out per scope; an opt-in removes its scope\'s, an account-wide one all', async () => {
      const acc = 'acc_consent';
      const n = '+14155550150';
      assert.equal(await consent(store, { account: acc, number: n }), 1);
      assert.equal(await consent(store, { account: acc, number: n, source: 'api' }), 0, 'already opted out of the account: the record is kept, the opt-out stays one');
      assert.equal(await consent(store, { account: acc, number: n, sender: '+14155550199' }), 1);
      assert.equal(await consent(store, { account: acc, number: n, topic: 'marketing' }), 1);
      await consent(store, { account: 'acc_consent_other', number: n });
      const scopes = async () => (await store.listOptOuts(acc, n)).map((o) => `${o.sender}|${o.topic}`).sort();
      assert.deepEqual(await scopes(), ['+14155550199|', '|', '|marketing']);
      assert.equal(await consent(store, { account: acc, number: n, action: 'opt_in', topic: 'marketing' }), 1);
      assert.deepEqual(await scopes(), ['+14155550199|', '|']);
      assert.equal(await consent(store, { account: acc, number: n, action: 'opt_in', sender: '+14155550199' }), 1);
      assert.equal(await consent(store, { account: acc, number: n, action: 'opt_in' }), 1);
      assert.deepEqual(await scopes(), []);
      assert.equal((await store.listOptOuts('acc_consent_other')).length, 1, 'another account keeps its own');
      const history = await store.listConsent(acc, n);
      assert.deepEqual(history.map((r) => [r.action, r.scope]), [
        ['opt_out', 'account'], ['opt_out', 'account'], ['opt_out', 'sender'], ['opt_out', 'topic'], ['opt_in', 'topic'], ['opt_in', 'sender'], ['opt_in', 'account'],
      ]);
    });

    it('writes a recipient\'s own record once however often its text is handled, with the text', async () => {
      const acc = 'acc_consent_once';
      const n = '+14155550151';
      const rec = { account: acc, number: n, id: 'cns_inb_once', inbound: { id: 'inb_once', text: 'STOP please' } };
      assert.equal(await consent(store, rec), 1);
      await consent(store, { account: acc, number: n, action: 'opt_in', source: 'api' });
      assert.equal(await consent(store, rec), 0, 'handled again: not applied again');
      assert.equal((await store.listOptOuts(acc, n)).length, 0);
      const first = (await store.listConsent(acc, n)).find((r) => r.id === 'cns_inb_once')!;
      assert.deepEqual([first.inbound_id, first.inbound_text, first.source], ['inb_once', 'STOP please', 'keyword']);
    });

    it('names the actor under way; audits staff changes, not a recipient\'s own', async () => {
      const acc = 'acc_consent_actor';
      const n = '+14155550152';
      await actingAs({ kind: 'key', id: 'key_consent', name: 'crm', requestId: 'r1' }, () => consent(store, { account: acc, number: n, source: 'api', topic: 'news' }));
      await consent(store, { account: acc, number: n, action: 'opt_in' });
      const [api, keyword] = await store.listConsent(acc, n);
      assert.deepEqual([api.actor_kind, api.actor_id, api.actor_name], ['key', 'key_consent', 'crm']);
      assert.equal(keyword.actor_kind, 'system');
      const audited = await store.listAudit({ object: 'opt_out', objectId: n, accountId: acc, limit: 10 });
      assert.equal(audited.length, 1, 'the API\'s change only');
      assert.deepEqual(JSON.parse(audited[0].after!).opt_outs, [{ sender: '', topic: 'news', source: 'api' }]);
      // A staff record that changed nothing (above) left no entry and no gap in the chain.
      assert.deepEqual((await verifyAudit(store)).problems, []);
    });

    it('keeps account settings as stored, audited', async () => {
      await store.setAccountSettings('acc_settings', JSON.stringify({ transactional_past_opt_out: true }), Date.now());
      await store.setAccountSettings('acc_settings', JSON.stringify({ transactional_past_opt_out: true, opt_out_scope: 'number' }), Date.now());
      const row = (await store.listAccountSettings()).find((a) => a.id === 'acc_settings');
      assert.deepEqual(JSON.parse(row!.settings!), { transactional_past_opt_out: true, opt_out_scope: 'number' });
      const entries = await store.listAudit({ object: 'account', objectId: 'acc_settings', limit: 10 });
      assert.deepEqual(entries.map((e) => e.action), ['update', 'create']);
    });
  });
}
