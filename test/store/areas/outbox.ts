// Contract cases for the EventOutbox port (store/ports/outbox.ts), run on every store by
// ../store-suite.ts: events are written with their change, given positions in commit
// order by one lease holder, read by position, and purged by age.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import type { OutboxEvent, Store } from '../../../src/store/store.ts';
import { newMessage, webhookRow } from '../../helpers/rows.ts';
import { newId } from '../../../src/domain/ids.ts';
import { planReceipt } from '../../../src/receipts/plan.ts';
import { callbackFor } from '../../../src/callbacks/enqueue.ts';
import { acceptedEvent, newEvent, statusEvents } from '../../../src/public/events.ts';
import { part, receiptFor } from './helpers.ts';

export function outboxCases(get: () => Store): void {
  describe('EventOutbox', () => {
    let store: Store;
    before(() => { store = get(); });

    /** Every sequenced event of `account`, in position order (sequencing what is waiting first). */
    const eventsOf = async (account: string): Promise<OutboxEvent[]> => {
      while (await store.sequenceEvents(1000, Date.now()) > 0) { /* until none is left */ }
      const all: OutboxEvent[] = [];
      for (let after = 0; ;) {
        const page = await store.readEvents({ after, limit: 50, accountId: account });
        if (page.length === 0) return all;
        all.push(...page);
        after = page.at(-1)!.pos;
      }
    };

    it('writes a message\'s events with each change (accepted, sent, receipt, delivered), in the order they happened, and none for a change that did not apply', async () => {
      const account = `acct_ob_${newId('msg')}`;
      const now = Date.now();
      const m = newMessage({ account_id: account, status: 'sending', lease_owner: 'w-ob', next_attempt_at: now + 30_000 }, { key: `k-${newId('msg')}`, hash: 'h' });
      await store.insertMessages([{ ...m, outbox: [acceptedEvent({ ...m.row, status: 'queued' }, now)] }]);
      // The same idempotency key again: no second message, no second event.
      const again = await store.insertMessages([{ ...m, row: { ...m.row, id: newId('msg') }, outbox: [acceptedEvent(m.row, now)] }]);
      assert.equal(again[0].kind, 'duplicate');
      const ref = `ob-${newId('msg')}`;
      const sent = { ...m.row, status: 'sent' as const, provider_id: 'sim', sent_at: now };
      const outcome = { messageId: m.row.id, now, attempts: [], event: null, callback: null, parts: [part(m.row.id, 0, ref, now)],
        set: { status: 'sent' as const, attempts: 1, throttled_attempts: 0, next_attempt_at: null, provider_id: 'sim', sent_at: now }, outbox: statusEvents(sent, now) };
      await store.recordOutcomes([{ ...outcome, leaseOwner: 'someone-else' }]);
      assert.deepEqual(await eventsOf(account).then((e) => e.map((x) => x.type)), ['message.accepted'], 'a fenced-off outcome writes no event');
      await store.recordOutcomes([{ ...outcome, leaseOwner: 'w-ob' }]);
      const w = webhookRow();
      await store.insertWebhooks([w]);
      await store.applyReceipts([receiptFor(w.id, ref, 'delivered', now + 1)], now + 1, planReceipt);
      const events = await eventsOf(account);
      assert.deepEqual(events.map((e) => e.type), ['message.accepted', 'message.sent', 'message.receipt', 'message.delivered']);
      assert.ok(events.every((e) => e.subject === m.row.id && e.message_id === m.row.id && e.account_id === account));
      assert.equal(new Set(events.map((e) => e.id)).size, 4, 'each event has its own id');
      assert.deepEqual(events.map((e) => JSON.parse(e.data).status), ['queued', 'sent', 'delivered', 'delivered']);
      assert.ok(events.every((e, i) => i === 0 || e.pos > events[i - 1].pos), 'positions increase');
    });

    it('a cancel writes message.canceled with the change; another account\'s cancel of it writes nothing', async () => {
      const account = `acct_obc_${newId('msg')}`;
      const m = newMessage({ account_id: account });
      await store.insertMessages([m]);
      assert.equal((await store.cancelMessage('someone', m.row.id, Date.now(), callbackFor, statusEvents)).kind, 'not_found');
      assert.equal((await store.cancelMessage(account, m.row.id, Date.now(), callbackFor, statusEvents)).kind, 'canceled');
      assert.deepEqual((await eventsOf(account)).map((e) => [e.type, JSON.parse(e.data).status]), [['message.canceled', 'canceled']]);
    });

    it('reads by position, one account\'s or every account\'s, filtered by type; cursors and the backlog follow', async () => {
      const [a, b] = [`acct_obr_${newId('msg')}`, `acct_obr_${newId('msg')}`];
      const now = Date.now();
      await store.appendEvents([
        newEvent('provider.circuit_opened', a, 'p1', { provider: 'p1' }, now),
        newEvent('config.changed', b, 'p1', { table: 'providers' }, now),
        newEvent('provider.circuit_closed', a, 'p1', { provider: 'p1' }, now),
      ]);
      const backlogBefore = await store.outboxBacklog(await store.outboxCursor('__test_sink'));
      assert.ok(backlogBefore.count >= 3 && backlogBefore.oldestAt !== null);
      const mine = await eventsOf(a);
      assert.deepEqual(mine.map((e) => e.type), ['provider.circuit_opened', 'provider.circuit_closed']);
      const typed = await store.readEvents({ after: mine[0].pos - 1, limit: 10, types: ['config.changed'] });
      assert.ok(typed.length >= 1 && typed.every((e) => e.type === 'config.changed'));
      assert.equal(typed[0].account_id, b, 'every account\'s when none is named');
      const last = Math.max(mine[1].pos, typed[0].pos);
      await store.setOutboxCursor('__test_sink', last, now);
      assert.equal(await store.outboxCursor('__test_sink'), last);
      assert.equal(await store.outboxCursor('__never_used'), 0);
      const after = await store.outboxBacklog(last);
      assert.ok(after.count < backlogBefore.count);
    });

    it('a configuration change writes config.changed with it, naming the table and the operation, never the row', async () => {
      const before = (await store.readEvents({ after: 0, limit: 1_000_000, accountId: '_system' })).length;
      const id = `acct_cfg_${newId('msg')}`;
      await store.ensureAccount(id, 'config event', Date.now());
      const events = await eventsOf('_system');
      const mine = events.slice(before);
      assert.ok(mine.length >= 1, 'one event per change');
      assert.deepEqual(JSON.parse(mine.at(-1)!.data), { table: 'accounts', operation: 'INSERT' });
      assert.equal(mine.at(-1)!.type, 'config.changed');
      assert.ok(Math.abs(mine.at(-1)!.time - Date.now()) < 60_000, 'timed in epoch milliseconds');
    });

    it('one holder of the lease at a time; another takes it over once it runs out, and a release frees it', async () => {
      const name = `lease-${newId('msg')}`;
      const t = Date.now();
      assert.equal(await store.acquireOutboxLease(name, 'p1', t, 1_000), true);
      assert.equal(await store.acquireOutboxLease(name, 'p2', t + 500, 1_000), false, 'held by p1');
      assert.equal(await store.acquireOutboxLease(name, 'p1', t + 900, 1_000), true, 'renewed by its holder');
      assert.equal(await store.acquireOutboxLease(name, 'p2', t + 1_500, 1_000), false, 'the renewal counts');
      assert.equal(await store.acquireOutboxLease(name, 'p2', t + 2_000, 1_000), true, 'taken over after it ran out');
      await store.releaseOutboxLease(name, 'p1');
      assert.equal(await store.acquireOutboxLease(name, 'p1', t + 2_100, 1_000), false, 'only the holder releases it');
      await store.releaseOutboxLease(name, 'p2');
      assert.equal(await store.acquireOutboxLease(name, 'p1', t + 2_100, 1_000), true);
    });

    it('purges events by age, sequenced or not, and keeps positions going up after a purge', async () => {
      const account = `acct_obp_${newId('msg')}`;
      await store.appendEvents([newEvent('config.changed', account, 'x', {}, 1_000), newEvent('config.changed', account, 'y', {}, 1_001)]);
      await store.sequenceEvents(1000, Date.now());
      await store.appendEvents([newEvent('config.changed', account, 'z', {}, 1_002)]);
      const top = (await store.readEvents({ after: 0, limit: 1_000_000 })).at(-1)?.pos ?? 0;
      assert.ok(await store.purgeEvents(2_000, 1_000_000) >= 3, 'the oldest by seq that were written before the cut');
      assert.deepEqual(await eventsOf(account), []);
      await store.appendEvents([newEvent('config.changed', account, 'w', {}, Date.now())]);
      const [fresh] = await eventsOf(account);
      assert.ok(fresh.pos > top, 'a new event is positioned after every earlier one');
    });
  });
}
