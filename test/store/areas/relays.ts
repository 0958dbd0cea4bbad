// Contract cases for the RelayStore port (run on every store by ../store-suite.ts).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import type { Outcome, ReceiptWrite, Store } from '../../../src/store/store.ts';
import { newMessage, messageRow, webhookRow } from '../../helpers/rows.ts';
import { newId } from '../../../src/domain/ids.ts';
import { planReceipt } from '../../../src/receipts/plan.ts';
import { callbackFor } from '../../../src/callbacks/enqueue.ts';
import { part, receiptFor, sentMessage } from './helpers.ts';

export function relaysCases(get: () => Store): void {
  describe('RelayStore', () => {
    let store: Store;
    before(() => { store = get(); });

    it('relays a provider message at most once and advances a relay only from the position it was read at', async () => {
      const now = Date.now();
      const relay = {
        id: newId('rly'), account_id: 'acc_relay', number: '+14155550160', source: '+14155550161', body: 'hi', destinations: '["+14155550162"]', inbound_id: null,
        provider_id: 'tw', provider_message_id: `SM${now}`, status: 'forwarding' as const, reason: null, hops: 0, position: -1, deadline_at: now, created_at: now, updated_at: now,
      };
      assert.equal(await store.insertRelay(relay), true);
      assert.equal(await store.insertRelay({ ...relay, id: newId('rly') }), false, 'the same provider message again');
      // Manual relays have no provider message id and never collide.
      assert.equal(await store.insertRelay({ ...relay, id: newId('rly'), provider_id: null, provider_message_id: null }), true);
      assert.equal(await store.insertRelay({ ...relay, id: newId('rly'), provider_id: null, provider_message_id: null }), true);
      assert.deepEqual((await store.dueRelays(now, 1000)).filter((r) => r.id === relay.id).map((r) => r.position), [-1]);
      assert.equal(await store.updateRelay(relay.id, -1, { position: 0, deadline_at: now + 60_000 }, now), true);
      assert.equal(await store.updateRelay(relay.id, -1, { position: 0 }, now), false, 'a second process read the old position');
      assert.equal((await store.dueRelays(now, 1000)).some((r) => r.id === relay.id), false, 'not due before its deadline');
      await store.insertRelayAttempt({ relay_id: relay.id, position: 0, destination: '+14155550162', message_id: null, outcome: 'pending', detail: null, started_at: now, finished_at: null });
      await store.insertRelayAttempt({ relay_id: relay.id, position: 0, destination: '+19999999999', message_id: null, outcome: 'pending', detail: null, started_at: now, finished_at: null });
      await store.updateRelayAttempt(relay.id, 0, { message_id: 'msg_x', outcome: 'delivered', finished_at: now });
      assert.equal(await store.updateRelay(relay.id, 0, { status: 'delivered', deadline_at: null }, now), true);
      assert.equal(await store.updateRelay(relay.id, 0, { status: 'failed' }, now), false, 'a finished relay stays finished');
      const [a] = await store.listRelayAttempts([relay.id]);
      assert.deepEqual([a.destination, a.message_id, a.outcome], ['+14155550162', 'msg_x', 'delivered']);
      assert.equal((await store.getRelay(relay.id))?.status, 'delivered');
      assert.equal((await store.listRelays({ accountId: 'acc_relay', number: '+14155550160', limit: 10 })).length, 3);
    });


    it("keeps one rule per inbound number, listed by account, and counts an account's relays by status", async () => {
      const now = Date.now();
      const acct = `acct_r_${newId('rly')}`;
      const number = `+1415556${String(now).slice(-4)}`;
      const rule = { number, account_id: acct, destinations: '["+18585550100"]', template: '{body}', active: 1, created_at: now, updated_at: now };
      await store.upsertRelayRule(rule);
      await store.upsertRelayRule({ ...rule, destinations: '["+18585550101"]', updated_at: now + 1 });
      assert.equal((await store.getRelayRule(number))?.destinations, '["+18585550101"]');
      assert.equal(await store.getRelayRule('+10000000000'), undefined);
      assert.deepEqual((await store.listRelayRules(acct)).map((r) => r.number), [number]);
      assert.ok((await store.listRelayRules()).some((r) => r.number === number));
      const relay = (status: 'forwarding' | 'blocked') => ({
        id: newId('rly'), account_id: acct, number, source: '+14155550161', body: 'hi', destinations: '[]', inbound_id: null,
        provider_id: null, provider_message_id: null, status, reason: null, hops: 0, position: -1, deadline_at: null, created_at: now, updated_at: now,
      });
      for (const s of ['forwarding', 'blocked', 'blocked'] as const) await store.insertRelay(relay(s));
      const counts = Object.fromEntries((await store.countRelays(now - 1, acct)).map((c) => [c.status, c.n]));
      assert.deepEqual(counts, { forwarding: 1, blocked: 2 });
      assert.deepEqual(await store.countRelays(now + 1, acct), [], 'nothing since a later time');
    });
  });
}
