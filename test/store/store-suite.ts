// One contract suite for every Store implementation (DESIGN.md §3): the SQLite and the
// PostgreSQL store must behave the same, so both run exactly these cases.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { MessagePartRow, MessageRow, Outcome, ReceiptWrite, Store } from '../../src/store/store.ts';
import type { TestStore } from '../helpers/stores.ts';
import { newMessage, messageRow, webhookRow } from '../helpers/rows.ts';
import { newId } from '../../src/domain/ids.ts';
import { planReceipt } from '../../src/receipts/plan.ts';
import { callbackFor } from '../../src/callbacks/enqueue.ts';

function part(messageId: string, index: number, ref: string, now: number): MessagePartRow {
  return { message_id: messageId, part_index: index, provider_id: 'sim', provider_message_id: ref, status: 'sent', error_code: null, error_message: null, created_at: now, updated_at: now };
}

/** A message the provider accepted in parts with these ids (recorded the way the worker does). */
async function sentMessage(store: Store, refs: string[], now: number): Promise<MessageRow> {
  const m = newMessage({ status: 'sending', lease_owner: 'w-parts', next_attempt_at: now + 30_000, segments: refs.length });
  await store.insertMessages([m]);
  const applied = await store.recordOutcomes([{
    messageId: m.row.id, leaseOwner: 'w-parts', now, attempts: [], event: null, callback: null,
    parts: refs.map((ref, i) => part(m.row.id, i, ref, now)),
    set: { status: 'sent', attempts: 1, throttled_attempts: 0, next_attempt_at: null, provider_id: 'sim', provider_message_id: refs[0], sent_at: now },
  }]);
  assert.ok(applied.has(m.row.id));
  return m.row;
}

const receiptFor = (webhookId: string, ref: string, status: ReceiptWrite['status'], now: number, errorCode: string | null = null): ReceiptWrite =>
  ({ webhookId, providerId: 'sim', providerMessageId: ref, status, providerStatus: status ?? 'unknown', errorCode, errorMessage: errorCode ? 'part not delivered' : null, occurredAt: now, detail: null });

export function runStoreSuite(name: string, make: () => Promise<TestStore>, skip: string | false = false): void {
  describe(`store contract: ${name}`, { skip }, () => {
    let t: TestStore;
    let store: Store;
    before(async () => { t = await make(); store = t.store; });
    after(async () => { await t?.dispose(); });

    it('inserts a batch in one call and reads each message back', async () => {
      const batch = [newMessage({ body: 'a' }), newMessage({ body: 'b' })];
      const res = await store.insertMessages(batch);
      assert.deepEqual(res.map((r) => r.kind), ['inserted', 'inserted']);
      const got = await store.getMessage('default', batch[1].row.id);
      assert.equal(got?.body, 'b');
      assert.equal(got?.status, 'queued');
      assert.equal(typeof got?.created_at, 'number');
    });

    it('hides a message from another account', async () => {
      const m = newMessage({ account_id: 'default' });
      await store.insertMessages([m]);
      assert.equal(await store.getMessage('other', m.row.id), undefined);
    });

    it('answers the same message for a repeated idempotency key and a conflict for another body', async () => {
      const key = `k-${newId('msg')}`;
      const [first] = await store.insertMessages([newMessage({}, { key, hash: 'h1' })]);
      assert.equal(first.kind, 'inserted');
      const [again, other] = await store.insertMessages([newMessage({}, { key, hash: 'h1' }), newMessage({}, { key, hash: 'h2' })]);
      assert.equal(again.kind, 'duplicate');
      assert.equal(again.kind === 'duplicate' && first.kind === 'inserted' && again.message.id, first.kind === 'inserted' && first.message.id);
      assert.equal(other.kind, 'conflict');
    });

    it('resolves the same idempotency key twice within one batch to one message', async () => {
      const key = `k-${newId('msg')}`;
      const res = await store.insertMessages([newMessage({}, { key, hash: 'h' }), newMessage({}, { key, hash: 'h' }), newMessage({}, { key, hash: 'x' })]);
      assert.deepEqual(res.map((r) => r.kind), ['inserted', 'duplicate', 'conflict']);
      assert.equal(res[1].kind === 'duplicate' && res[1].message.id, res[0].kind === 'inserted' && res[0].message.id);
    });

    it('claims due messages once, marks them sending under a lease and counts the attempt', async () => {
      const now = Date.now() + 1_000_000; // far enough ahead that earlier cases' rows are due too
      const mine = [newMessage({ next_attempt_at: now - 10 }), newMessage({ next_attempt_at: now - 5 })];
      await store.insertMessages(mine);
      const a = await store.claimDue('w1', now, 30_000, 1000);
      const ids = new Set(a.map((m) => m.id));
      for (const m of mine) assert.ok(ids.has(m.row.id));
      const claimed = a.find((m) => m.id === mine[0].row.id)!;
      assert.equal(claimed.status, 'sending');
      assert.equal(claimed.lease_owner, 'w1');
      assert.equal(claimed.attempts, 1);
      assert.equal(claimed.next_attempt_at, now + 30_000);
      const b = await store.claimDue('w2', now, 30_000, 1000);
      assert.equal(b.length, 0, 'a leased message is not claimed again while the lease holds');
      // the lease runs out: another worker takes the message over
      const c = await store.claimDue('w2', now + 30_001, 30_000, 1000);
      assert.ok(c.some((m) => m.id === mine[0].row.id && m.attempts === 2 && m.lease_owner === 'w2'));
      // the first owner's late outcome is fenced off
      const stale: Outcome = { messageId: mine[0].row.id, leaseOwner: 'w1', now, attempts: [], parts: [], event: null, callback: null,
        set: { status: 'sent', attempts: 1, throttled_attempts: 0, next_attempt_at: null } };
      const applied = await store.recordOutcomes([stale]);
      assert.equal(applied.size, 0);
      assert.equal((await store.getMessage(null, mine[0].row.id))?.status, 'sending');
    });

    it('never hands the same message to two concurrent claimers', async () => {
      const now = Date.now() + 5_000_000;
      await store.insertMessages(Array.from({ length: 60 }, () => newMessage({ next_attempt_at: now - 1 })));
      const [x, y, z] = await Promise.all([store.claimDue('a', now, 60_000, 25), store.claimDue('b', now, 60_000, 25), store.claimDue('c', now, 60_000, 25)]);
      const all = [...x, ...y, ...z].map((m) => m.id);
      assert.equal(new Set(all).size, all.length);
      assert.ok(all.length >= 60);
    });

    it('does not claim a scheduled message before its time', async () => {
      const at = Date.now() + 10_000_000_000;
      const m = newMessage({ status: 'scheduled', send_at: at, next_attempt_at: at });
      await store.insertMessages([m]);
      const early = await store.claimDue('w', at - 1, 1000, 10_000);
      assert.ok(!early.some((r) => r.id === m.row.id));
      const due = await store.claimDue('w', at, 1000, 10_000);
      assert.ok(due.some((r) => r.id === m.row.id));
    });

    it('keeps opt-outs per account, number and sender; adding twice keeps one; removes one sender or all', async () => {
      const now = Date.now();
      const row = { account_id: 'acc_opt', number: '+14155550150', sender: '', source: 'keyword', created_at: now };
      await store.addOptOut(row);
      await store.addOptOut({ ...row, source: 'api' });
      await store.addOptOut({ ...row, sender: '+14155550199' });
      await store.addOptOut({ ...row, account_id: 'acc_other' });
      const mine = await store.listOptOuts('acc_opt', '+14155550150');
      assert.deepEqual(mine.map((o) => [o.sender, o.source]).sort((a, b) => a[0].localeCompare(b[0])), [['', 'keyword'], ['+14155550199', 'keyword']]);
      assert.equal(await store.removeOptOuts('acc_opt', '+14155550150', '+14155550199'), 1);
      assert.equal(await store.removeOptOuts('acc_opt', '+14155550150', null), 1);
      assert.equal((await store.listOptOuts('acc_opt')).length, 0);
      assert.equal((await store.listOptOuts('acc_other')).length, 1);
    });

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

    it('records an outcome with its attempt and releases the lease', async () => {
      const now = Date.now() + 20_000_000_000;
      const m = newMessage({ next_attempt_at: now });
      await store.insertMessages([m]);
      await store.claimDue('w9', now, 30_000, 10_000);
      const applied = await store.recordOutcomes([{
        messageId: m.row.id, leaseOwner: 'w9', now,
        set: { status: 'sent', attempts: 1, throttled_attempts: 0, next_attempt_at: null, provider_id: 'sim', provider_message_id: 'p-1', from_number: '+15005550006', sent_at: now },
        attempts: [{ id: newId('att'), message_id: m.row.id, attempt: 1, provider_id: 'sim', from_number: '+15005550006', outcome: 'sent', error_code: null, error_message: null, provider_message_id: 'p-1', started_at: now, finished_at: now, failover: 0 }],
        parts: [part(m.row.id, 0, `p-1-${m.row.id}`, now)],
        event: null, callback: null,
      }]);
      assert.ok(applied.has(m.row.id));
      const got = await store.getMessage(null, m.row.id);
      assert.equal(got?.status, 'sent');
      assert.equal(got?.lease_owner, null);
      assert.equal(got?.provider_message_id, 'p-1');
      const attempts = await store.listAttempts(m.row.id);
      assert.equal(attempts.length, 1);
      assert.equal(attempts[0].outcome, 'sent');
      assert.deepEqual((await store.listParts(m.row.id)).map((p) => [p.part_index, p.provider_message_id, p.status]), [[0, `p-1-${m.row.id}`, 'sent']]);
    });

    it('applies receipts forward only and keeps every receipt as an event', async () => {
      const now = Date.now();
      const ref = `ref-${newId('msg')}`;
      const m = await sentMessage(store, [ref], now);
      const w1 = webhookRow(); const w2 = webhookRow(); const w3 = webhookRow();
      await store.insertWebhooks([w1, w2, w3]);
      const receipt = (webhookId: string, status: ReceiptWrite['status'], providerStatus: string): ReceiptWrite =>
        ({ webhookId, providerId: 'sim', providerMessageId: ref, status, providerStatus, errorCode: null, errorMessage: null, occurredAt: now, detail: null });
      const [d] = await store.applyReceipts([receipt(w1.id, 'delivered', 'delivered')], now, planReceipt);
      assert.equal(d.changed, true);
      assert.equal(d.message?.status, 'delivered');
      const [late] = await store.applyReceipts([receipt(w2.id, 'sent', 'sent')], now, planReceipt);
      assert.equal(late.changed, false, 'a late sent after delivered changes nothing');
      const [dup] = await store.applyReceipts([receipt(w1.id, 'delivered', 'delivered')], now, planReceipt);
      assert.equal(dup.changed, false);
      const got = await store.getMessage(null, m.id);
      assert.equal(got?.status, 'delivered');
      assert.ok(got?.final_at);
      const events = await store.listEvents(m.id);
      assert.deepEqual(events.map((e) => e.provider_status).sort(), ['delivered', 'sent'], 'replaying a webhook adds no duplicate event');
      const [none] = await store.applyReceipts([{ ...receipt(w3.id, 'delivered', 'delivered'), providerMessageId: 'nope' }], now, planReceipt);
      assert.equal(none.message, null);
    });

    it('a message in parts is delivered only when every part is', async () => {
      const now = Date.now();
      const refs = [1, 2, 3].map((i) => `pt${i}-${newId('msg')}`);
      const m = await sentMessage(store, refs, now);
      const [first] = await store.applyReceipts([receiptFor('w-a', refs[0], 'delivered', now)], now, planReceipt);
      assert.equal(first.changed, false, 'one part of three delivered: the message is still sent');
      assert.equal(first.message?.status, 'sent');
      const rest = await store.applyReceipts([receiptFor('w-b', refs[2], 'delivered', now), receiptFor('w-c', refs[1], 'delivered', now)], now, planReceipt);
      assert.deepEqual(rest.map((r) => [r.changed, r.message?.status]), [[false, 'sent'], [true, 'delivered']]);
      assert.deepEqual((await store.listParts(m.id)).map((p) => p.status), ['delivered', 'delivered', 'delivered']);
      const events = await store.listEvents(m.id);
      assert.deepEqual(events.map((e) => e.detail).sort(), ['part 1 of 3', 'part 2 of 3', 'part 3 of 3']);
    });

    it('one failed part of three makes the message undelivered, with that part\'s error', async () => {
      const now = Date.now();
      const refs = [1, 2, 3].map((i) => `pf${i}-${newId('msg')}`);
      const m = await sentMessage(store, refs, now);
      await store.applyReceipts([receiptFor('w-d', refs[0], 'delivered', now), receiptFor('w-e', refs[1], 'undelivered', now, '30003')], now, planReceipt);
      const [last] = await store.applyReceipts([receiptFor('w-f', refs[2], 'delivered', now)], now, planReceipt);
      assert.equal(last.message?.status, 'undelivered', 'a later delivered part does not undo the failure');
      const got = await store.getMessage(null, m.id);
      assert.equal(got?.status, 'undelivered');
      assert.equal(got?.error_code, '30003');
      assert.deepEqual((await store.listParts(m.id)).map((p) => [p.status, p.error_code]), [['delivered', null], ['undelivered', '30003'], ['delivered', null]]);
    });

    it('a receipt for part 2 of 3 that arrives before the send answer is recorded is applied once it is', async () => {
      const now = Date.now();
      const refs = [1, 2, 3].map((i) => `pe${i}-${newId('msg')}`);
      const [early] = await store.applyReceipts([receiptFor('w-g', refs[1], 'delivered', now)], now, planReceipt);
      assert.equal(early.message, null, 'no part has that id yet: the caller keeps the receipt and tries again');
      const m = await sentMessage(store, refs, now);
      const [again] = await store.applyReceipts([receiptFor('w-g', refs[1], 'delivered', now)], now, planReceipt);
      assert.equal(again.message?.id, m.id);
      assert.deepEqual((await store.listParts(m.id)).map((p) => p.status), ['sent', 'delivered', 'sent']);
      await store.applyReceipts([receiptFor('w-h', refs[0], 'delivered', now), receiptFor('w-i', refs[2], 'delivered', now)], now, planReceipt);
      assert.equal((await store.getMessage(null, m.id))?.status, 'delivered');
    });

    it('claims pending webhooks under a lease and defers them', async () => {
      const now = Date.now() + 30_000_000_000;
      const w = webhookRow({ process_after: now });
      await store.insertWebhooks([w]);
      const got = await store.claimWebhooks(now, 10_000, 1000);
      assert.ok(got.some((r) => r.id === w.id));
      assert.ok(!(await store.claimWebhooks(now, 10_000, 1000)).some((r) => r.id === w.id), 'leased');
      await store.finishWebhooks([], [w.id], now + 500, now);
      assert.ok(!(await store.claimWebhooks(now + 499, 10_000, 1000)).some((r) => r.id === w.id));
      assert.ok((await store.claimWebhooks(now + 500, 10_000, 1000)).some((r) => r.id === w.id));
      await store.finishWebhooks([{ id: w.id, error: null }], [], 0, now);
      assert.ok(!(await store.claimWebhooks(now + 100_000, 10_000, 1000)).some((r) => r.id === w.id), 'processed webhooks stay done');
    });

    it('a webhook leased by another processor is not due until its lease ends', async () => {
      const far = Date.now() + 40_000_000_000;
      // settle whatever earlier cases left pending, so only this case's webhook counts
      const leftovers = await store.claimWebhooks(far, 1, 100_000);
      await store.finishWebhooks(leftovers.map((w) => ({ id: w.id, error: null })), [], 0, far);
      assert.equal(await store.nextWebhookDueAt(), null);
      const w = webhookRow({ process_after: far });
      await store.insertWebhooks([w]);
      assert.equal(await store.nextWebhookDueAt(), far);
      await store.claimWebhooks(far, 60_000, 10);
      assert.equal(await store.nextWebhookDueAt(), far + 60_000);
      await store.finishWebhooks([{ id: w.id, error: null }], [], 0, far);
      assert.equal(await store.nextWebhookDueAt(), null);
    });

    it('cancels only while queued or scheduled', async () => {
      const q = newMessage();
      const s = newMessage({ status: 'sent', next_attempt_at: null });
      await store.insertMessages([q, s]);
      const r1 = await store.cancelMessage('default', q.row.id, Date.now(), callbackFor);
      assert.equal(r1.kind, 'canceled');
      assert.equal(r1.kind === 'canceled' && r1.message.status, 'canceled');
      assert.equal((await store.cancelMessage('default', s.row.id, Date.now(), callbackFor)).kind, 'not_cancelable');
      assert.equal((await store.cancelMessage('default', 'msg_nope', Date.now(), callbackFor)).kind, 'not_found');
    });

    it('lists newest first with filters, metadata and a cursor', async () => {
      const acct = `acct_${newId('msg')}`;
      const rows = [
        messageRow({ account_id: acct, to_number: '+14155550101', metadata: JSON.stringify({ order: '1' }) }),
        messageRow({ account_id: acct, to_number: '+14155550102', metadata: JSON.stringify({ order: '2' }) }),
        messageRow({ account_id: acct, to_number: '+14155550101', status: 'delivered', metadata: JSON.stringify({ order: '1' }) }),
      ];
      await store.insertMessages(rows.map((row) => ({ row, idempotency: null })));
      const page1 = await store.listMessages({ accountId: acct, limit: 2 });
      assert.deepEqual(page1.map((m) => m.id), [rows[2].id, rows[1].id]);
      const page2 = await store.listMessages({ accountId: acct, limit: 2, before: page1[1].id });
      assert.deepEqual(page2.map((m) => m.id), [rows[0].id]);
      assert.equal((await store.listMessages({ accountId: acct, limit: 10, to: '+14155550101' })).length, 2);
      assert.equal((await store.listMessages({ accountId: acct, limit: 10, status: 'delivered' })).length, 1);
      assert.deepEqual((await store.listMessages({ accountId: acct, limit: 10, metadata: { order: '2' } })).map((m) => m.id), [rows[1].id]);
    });

    it('manages API keys by hash and revokes them', async () => {
      const now = Date.now();
      const id = newId('key');
      await store.createApiKey({ id, account_id: 'default', name: 'ci', prefix: 'sk_test', hash: `h-${id}`, scopes: 'send,read', created_at: now, updated_at: now, revoked_at: null, webhook_secret: 'whsec_dGVzdA==', callback_url: null });
      assert.equal((await store.findApiKeyByHash(`h-${id}`))?.id, id);
      assert.equal(await store.revokeApiKey(id, now), true);
      assert.ok((await store.findApiKeyByHash(`h-${id}`))?.revoked_at);
      assert.equal(await store.revokeApiKey(id, now), false);
    });

    it('migrating twice is a no-op', async () => {
      await store.migrate();
      await store.ping();
    });
  });
}
