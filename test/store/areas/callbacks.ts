// Contract cases for the CallbackQueue port (run on every store by ../store-suite.ts).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../../../src/store/store.ts';
import { newMessage } from '../../helpers/rows.ts';
import { newId } from '../../../src/domain/ids.ts';
import { callbackFor } from '../../../src/callbacks/enqueue.ts';
import { smppReceiptTarget, SMPP_RECEIPT } from '../../../src/domain/smpp.ts';

export function callbacksCases(get: () => Store): void {
  describe('CallbackQueue', () => {
    let store: Store;
    before(() => { store = get(); });

    it('queues a callback of its own (an inbound text) once, however often it is queued', async () => {
      const now = Date.now();
      const id = newId('cbk');
      const row = { id, account_id: 'default', api_key_id: null, message_id: newId('inb'), url: 'https://app.example.com/in', type: 'message.inbound', payload: '{}',
        status: 'pending' as const, attempts: 0, next_attempt_at: now, lease_until: null, last_error: null, created_at: now, updated_at: now, delivered_at: null };
      await store.insertCallbacks([row]);
      await store.insertCallbacks([{ ...row, url: 'https://app.example.com/again' }]);
      const listed = await store.listCallbacks(row.message_id);
      assert.deepEqual(listed.map((c) => [c.id, c.url, c.type]), [[id, row.url, 'message.inbound']]);
      const claimed = await store.claimCallbacks(now + 1, 30_000, 1000, { via: 'http' });
      assert.ok(claimed.some((c) => c.id === id), 'posted over HTTP like a status callback');
    });

    it('writes the callback with the change, hands it to one deliverer, and records every attempt', async () => {
      const now = Date.now() + 70_000_000_000;
      const m = newMessage({ callback_url: 'https://example.com/hook' });
      await store.insertMessages([m]);
      const r = await store.cancelMessage('default', m.row.id, now, callbackFor);
      assert.equal(r.kind, 'canceled');
      const [cb] = await store.listCallbacks(m.row.id);
      assert.equal(cb.status, 'pending');
      assert.equal(JSON.parse(cb.payload).data.status, 'canceled');
      assert.ok((await store.claimCallbacks(now, 60_000, 100_000)).some((c) => c.id === cb.id));
      assert.ok(!(await store.claimCallbacks(now, 60_000, 100_000)).some((c) => c.id === cb.id), 'leased to the first claimer');
      const attempt = (n: number, status_code: number | null, error: string | null) => ({ id: newId('cbk'), callback_id: cb.id, attempt: n, status_code, error, started_at: now, duration_ms: 5 });
      await store.finishCallback(cb.id, { status: 'pending', attempts: 1, next_attempt_at: now + 1_000, last_error: 'receiver answered 503', delivered_at: null }, attempt(1, 503, 'receiver answered 503'), now);
      assert.ok(!(await store.claimCallbacks(now + 999, 60_000, 100_000)).some((c) => c.id === cb.id), 'not due before its retry time');
      assert.ok((await store.claimCallbacks(now + 1_000, 60_000, 100_000)).some((c) => c.id === cb.id));
      await store.finishCallback(cb.id, { status: 'delivered', attempts: 2, next_attempt_at: null, last_error: null, delivered_at: now + 1_000 }, attempt(2, 200, null), now + 1_000);
      assert.deepEqual((await store.listCallbackAttempts(cb.id)).map((a) => [a.attempt, a.status_code]), [[1, 503], [2, 200]]);
      const [done] = await store.listCallbacks(m.row.id);
      assert.deepEqual([done.status, done.attempts, done.delivered_at], ['delivered', 2, now + 1_000]);
      assert.ok(!(await store.claimCallbacks(now + 100_000, 60_000, 100_000)).some((c) => c.id === cb.id), 'delivered is done');
    });

    it('an SMPP receipt is written only for a final status, and goes only to a claimer of its system_id, never over HTTP', async () => {
      const now = Date.now() + 80_000_000_000;
      const target = smppReceiptTarget({ systemId: `sys${now}`, parts: [1, 3], dest: '+14155550111' });
      const m = newMessage({ callback_url: target });
      await store.insertMessages([m]);
      assert.equal(callbackFor({ ...m.row, status: 'sent' }, now), null, 'no receipt for sent');
      await store.cancelMessage('default', m.row.id, now, callbackFor);
      const [cb] = await store.listCallbacks(m.row.id);
      assert.deepEqual([cb.type, cb.url], [SMPP_RECEIPT, `smpp:sys${now}`]);
      assert.deepEqual(JSON.parse(cb.payload).parts, [1, 3]);
      assert.ok(!(await store.claimCallbacks(now, 60_000, 100_000, { via: 'http' })).some((c) => c.id === cb.id), 'never posted over HTTP');
      assert.ok(!(await store.claimCallbacks(now, 60_000, 100_000, { via: 'smpp', urls: ['smpp:someone-else'] })).some((c) => c.id === cb.id));
      assert.ok((await store.claimCallbacks(now, 60_000, 100_000, { via: 'smpp', urls: [cb.url] })).some((c) => c.id === cb.id));
      // Expiry: any target's, once older than the given time (and due again after its lease).
      assert.ok(!(await store.claimCallbacks(now + 60_000, 60_000, 100_000, { via: 'smpp', createdBefore: now })).some((c) => c.id === cb.id), 'not older than that');
      assert.ok((await store.claimCallbacks(now + 60_000, 60_000, 100_000, { via: 'smpp', createdBefore: now + 1 })).some((c) => c.id === cb.id));
      // Finished in a batch: each row its own outcome and attempt.
      const other = newMessage({ callback_url: target });
      await store.insertMessages([other]);
      await store.cancelMessage('default', other.row.id, now, callbackFor);
      const [cb2] = await store.listCallbacks(other.row.id);
      const attempt = (id: string, error: string | null) => ({ id: newId('cbk'), callback_id: id, attempt: 1, status_code: null, error, started_at: now, duration_ms: 1 });
      await store.finishCallbacks([
        { id: cb.id, set: { status: 'delivered', attempts: 1, next_attempt_at: null, last_error: null, delivered_at: now + 1 }, attempt: attempt(cb.id, null) },
        { id: cb2.id, set: { status: 'pending', attempts: 1, next_attempt_at: now + 5_000, last_error: 'link down', delivered_at: null }, attempt: attempt(cb2.id, 'link down') },
      ], now + 1);
      const [a] = await store.listCallbacks(m.row.id);
      const [b] = await store.listCallbacks(other.row.id);
      assert.deepEqual([a.status, a.delivered_at, a.lease_until], ['delivered', now + 1, null]);
      assert.deepEqual([b.status, b.next_attempt_at, b.last_error], ['pending', now + 5_000, 'link down']);
      assert.deepEqual((await store.listCallbackAttempts(cb2.id)).map((x) => x.error), ['link down']);
    });
  });
}
