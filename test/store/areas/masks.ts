// Contract cases for the MaskStore port (run on every store by ../store-suite.ts).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import type { Outcome, ReceiptWrite, Store } from '../../../src/store/store.ts';
import { newMessage, messageRow, webhookRow } from '../../helpers/rows.ts';
import { newId } from '../../../src/domain/ids.ts';
import { planReceipt } from '../../../src/receipts/plan.ts';
import { callbackFor } from '../../../src/callbacks/enqueue.ts';
import { part, receiptFor, sentMessage } from './helpers.ts';

export function masksCases(get: () => Store): void {
  describe('MaskStore', () => {
    let store: Store;
    before(() => { store = get(); });

    it('gives a participant one active leg per proxy; ending or expiring a session frees it', async () => {
      const now = Date.now();
      const proxy = '+14155550170';
      const a = `+1415555${String(now).slice(-4)}`;
      const leg = (mask_id: string, expires_at = now + 60_000) => ({ mask_id, participant: a, proxy, expires_at, active: 1 });
      const mask = (id: string, expires_at = now + 60_000) => ({
        id, account_id: 'acc_mask', context_id: 'ctx', participant_a: a, proxy_a: proxy, participant_b: '+14155550172', proxy_b: proxy,
        expires_at, ended_at: null, end_reason: null, messages_a: 0, messages_b: 0, created_at: now, updated_at: now,
      });
      const first = newId('msk');
      assert.equal(await store.insertMaskLeg(leg(first), now), true);
      await store.insertMask(mask(first));
      assert.equal(await store.insertMaskLeg(leg(newId('msk')), now), false, 'the same participant on the same proxy');
      assert.equal((await store.findMask(proxy, a, now))?.id, first);
      assert.equal(await store.findMask(proxy, '+14155550199', now), undefined, 'a stranger');
      await store.countMaskMessage(first, true, now);
      assert.equal((await store.getMask('acc_mask', first))?.messages_a, 1);
      assert.equal(await store.endMask('acc_mask', first, 'deleted', now), true);
      assert.equal(await store.endMask('acc_mask', first, 'deleted', now), false);
      assert.equal(await store.findMask(proxy, a, now), undefined);
      const second = newId('msk');
      assert.equal(await store.insertMaskLeg(leg(second, now + 1_000), now), true, 'freed by ending the first');
      await store.insertMask(mask(second, now + 1_000));
      assert.equal(await store.insertMaskLeg(leg(newId('msk')), now + 1_000), true, 'freed by expiry');
      assert.equal(await store.expireMasks(now + 1_000), 1);
      assert.equal((await store.getMask('acc_mask', second))?.end_reason, 'expired');
    });


    it("finds the proxies participants hold, frees an unfinished session's legs, and lists an account's sessions newest first", async () => {
      const now = Date.now();
      const acct = `acct_m_${newId('msk')}`;
      const p = `+1415557${String(now).slice(-4)}`;
      const leg = (mask_id: string, proxy: string) => ({ mask_id, participant: p, proxy, expires_at: now + 60_000, active: 1 });
      const [m1, m2] = [newId('msk'), newId('msk')];
      await store.insertMaskLeg(leg(m1, '+14155550181'), now);
      await store.insertMaskLeg(leg(m2, '+14155550182'), now);
      assert.deepEqual((await store.activeMaskLegs([p, '+10000000000'], now)).map((l) => l.proxy).sort(), ['+14155550181', '+14155550182']);
      assert.deepEqual(await store.activeMaskLegs([], now), []);
      await store.deleteMaskLegs(m2);
      assert.deepEqual((await store.activeMaskLegs([p], now)).map((l) => l.proxy), ['+14155550181']);
      const mask = (id: string, context_id: string) => ({
        id, account_id: acct, context_id, participant_a: p, proxy_a: '+14155550181', participant_b: '+14155550172', proxy_b: '+14155550181',
        expires_at: now + 60_000, ended_at: null, end_reason: null, messages_a: 0, messages_b: 0, created_at: now, updated_at: now,
      });
      await store.insertMask(mask(m1, 'order_1'));
      await store.insertMask(mask(m2, 'order_2'));
      const page = await store.listMasks({ accountId: acct, limit: 1 });
      assert.deepEqual(page.map((m) => m.id), [m2]);
      assert.deepEqual((await store.listMasks({ accountId: acct, limit: 10, before: m2 })).map((m) => m.id), [m1]);
      assert.deepEqual((await store.listMasks({ accountId: acct, limit: 10, contextId: 'order_1' })).map((m) => m.id), [m1]);
    });
  });
}
