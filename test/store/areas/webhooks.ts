// Contract cases for the WebhookLog port (run on every store by ../store-suite.ts).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import type { Outcome, ReceiptWrite, Store } from '../../../src/store/store.ts';
import { newMessage, messageRow, webhookRow } from '../../helpers/rows.ts';
import { newId } from '../../../src/domain/ids.ts';
import { planReceipt } from '../../../src/receipts/plan.ts';
import { callbackFor } from '../../../src/callbacks/enqueue.ts';
import { part, receiptFor, sentMessage } from './helpers.ts';
import { SUPERSEDED_PART } from '../../../src/store/rows.ts';

export function webhooksCases(get: () => Store): void {
  describe('WebhookLog', () => {
    let store: Store;
    before(() => { store = get(); });

    it('failover on no receipt: a due resend is handed over once, naming the silent provider; the resend supersedes its parts, and their late receipt still finishes the message once', async () => {
      const now = Date.now() + 9_000_000;
      const first = `fo-${newId('msg')}`;
      const m = newMessage({ status: 'sending', lease_owner: 'w-fo', next_attempt_at: now + 30_000, failover_after_ms: 1_000 });
      await store.insertMessages([m]);
      await store.recordOutcomes([{ messageId: m.row.id, leaseOwner: 'w-fo', now, attempts: [], event: null, callback: null, parts: [part(m.row.id, 0, first, now)],
        set: { status: 'sent', attempts: 1, throttled_attempts: 0, next_attempt_at: null, provider_id: 'sim', provider_message_id: first, sent_at: now, failover_at: now + 1_000 } }]);
      assert.ok(!(await store.dueReceiptFailovers(now + 999, 100)).some((x) => x.id === m.row.id), 'not before it is due');
      assert.deepEqual((await store.dueReceiptFailovers(now + 1_000, 100)).filter((x) => x.id === m.row.id), [{ id: m.row.id, provider_id: 'sim' }]);
      assert.ok(!(await store.dueReceiptFailovers(now + 5_000, 100)).some((x) => x.id === m.row.id), 'handed over once');
      const queued = await store.getMessage(null, m.row.id);
      assert.deepEqual([queued?.status, queued?.failover_from, queued?.failover_at, queued?.next_attempt_at], ['queued', 'sim', null, now + 1_000]);
      const [claimed] = (await store.claimDue('w-fo2', now + 1_000, 30_000, 1000)).filter((x) => x.id === m.row.id);
      assert.equal(claimed.failover_from, 'sim');
      const second = `fo2-${newId('msg')}`;
      await store.recordOutcomes([{ messageId: m.row.id, leaseOwner: 'w-fo2', now: now + 1_100, attempts: [], event: null, callback: null, supersedeParts: true,
        parts: [{ ...part(m.row.id, 0, second, now + 1_100), provider_id: 'other' }],
        set: { status: 'sent', attempts: 2, throttled_attempts: 0, next_attempt_at: null, provider_id: 'other', provider_message_id: second, sent_at: now + 1_100 } }]);
      assert.deepEqual((await store.listParts(m.row.id)).map((p) => [p.part_index, p.provider_id]).sort(), [[0, 'other'], [SUPERSEDED_PART, 'sim']]);
      const w = webhookRow(); const w2 = webhookRow();
      await store.insertWebhooks([w, w2]);
      const [late] = await store.applyReceipts([receiptFor(w.id, first, 'delivered', now + 2_000)], now + 2_000, planReceipt);
      assert.equal(late.message?.status, 'delivered', 'the first send was delivered after all');
      const [current] = await store.applyReceipts([{ ...receiptFor(w2.id, second, 'delivered', now + 2_100), providerId: 'other' }], now + 2_100, planReceipt);
      assert.equal(current.changed, false, 'final once');
      assert.deepEqual((await store.listParts(m.row.id)).map((p) => p.status), ['delivered', 'delivered']);
    });

    it('applies receipts forward only and keeps every receipt as an event', async () => {
      const now = Date.now();
      const ref = `ref-${newId('msg')}`;
      const m = await sentMessage(store, [ref], now);
      const w1 = webhookRow(); const w2 = webhookRow(); const w3 = webhookRow();
      await store.insertWebhooks([w1, w2, w3]);
      const receipt = (webhookId: string, status: ReceiptWrite['status'], providerStatus: string): ReceiptWrite =>
        ({ webhookId, providerId: 'sim', providerMessageId: ref, status, providerStatus, errorCode: null, errorMessage: null, providerErrorCode: null, occurredAt: now, detail: null });
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
      assert.equal(got?.error_code, 'unreachable');
      assert.equal(got?.provider_error_code, '30003');
      assert.deepEqual((await store.listParts(m.id)).map((p) => [p.status, p.error_code]), [['delivered', null], ['undelivered', 'unreachable'], ['delivered', null]]);
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
      assert.deepEqual(await store.webhookBacklog(far), { count: 1, oldestAt: far }, 'leased, not yet processed: still in the backlog');
      assert.deepEqual(await store.webhookBacklog(far - 1), { count: 0, oldestAt: null }, 'not yet due: not in it');
      await store.finishWebhooks([{ id: w.id, error: null }], [], 0, far);
      assert.equal(await store.nextWebhookDueAt(), null);
      assert.deepEqual(await store.webhookBacklog(far), { count: 0, oldestAt: null });
    });


    it('lists stored webhooks by provider and time, and requeues them for a replay', async () => {
      const now = Date.now() + 60_000_000_000;
      const provider = `replay-${newId('whk').slice(-8)}`;
      const a = webhookRow({ provider_id: provider, received_at: now, process_after: now });
      const b = webhookRow({ provider_id: provider, received_at: now + 1, process_after: now });
      await store.insertWebhooks([a, b]);
      assert.deepEqual((await store.listWebhooks({ providerId: provider })).map((w) => w.id), [a.id, b.id]);
      assert.deepEqual((await store.listWebhooks({ providerId: provider, since: now + 1 })).map((w) => w.id), [b.id]);
      assert.deepEqual((await store.listWebhooks({ providerId: provider, newest: 1 })).map((w) => w.id), [b.id], 'the newest one');
      assert.equal((await store.getWebhook(a.id))?.id, a.id);
      assert.equal(await store.getWebhook('whk_missing'), undefined);
      await store.claimWebhooks(now, 60_000, 100_000);
      await store.finishWebhooks([{ id: a.id, error: 'unparseable' }, { id: b.id, error: null }], [], 0, now);
      assert.ok((await store.listWebhooks({ providerId: provider })).every((w) => w.processed_at !== null));
      await store.requeueWebhooks([a.id], now + 5);
      const [again] = (await store.listWebhooks({ providerId: provider })).filter((w) => w.id === a.id);
      assert.deepEqual([again.processed_at, again.error, again.process_after, again.attempts], [null, null, now + 5, 0]);
      assert.ok((await store.claimWebhooks(now + 5, 60_000, 100_000)).some((w) => w.id === a.id));
    });

    it('stores an inbound text once per provider message and lists the account\'s newest first', async () => {
      const now = Date.now();
      const acct = `acct_in_${newId('inb')}`;
      const row = (ref: string) => ({
        id: newId('inb'), account_id: acct, provider_id: 'sim', provider_message_id: ref, from_number: '+14155550100', to_number: '+14155550199',
        body: `text ${ref}`, webhook_id: 'whk_test', received_at: now, created_at: now,
      });
      const [a, b] = [row(`in-a-${acct}`), row(`in-b-${acct}`)];
      await store.insertInbound([a, b]);
      // A retried webhook's text gets the row first stored, id and all.
      const [again] = await store.insertInbound([{ ...row(`in-a-${acct}`), body: 'a retried webhook' }]);
      assert.deepEqual([again.id, again.body], [a.id, a.body]);
      assert.equal((await store.getInbound(acct, a.id))?.body, a.body);
      assert.equal((await store.getInbound(null, a.id))?.id, a.id, 'any account\'s, for an operator');
      assert.equal(await store.getInbound(`${acct}-other`, a.id), undefined);
      const first = await store.listInbound(acct, undefined, 1);
      assert.deepEqual(first.map((m) => m.id), [b.id]);
      const rest = await store.listInbound(acct, first[0].id, 10);
      assert.deepEqual(rest.map((m) => [m.id, m.body]), [[a.id, a.body]], 'the retry changed nothing');
      assert.deepEqual(await store.listInbound(`${acct}-other`, undefined, 10), []);
    });

    it('keeps the parts of a long inbound text until all are here, once each, in order', async () => {
      const ref = `ref-${newId('inb')}`;
      const part = (n: number) => ({
        provider_id: 'vonage-x', from_number: '+447700900001', concat_ref: ref, part: n, total: 3, provider_message_id: `${ref}-${n}`,
        to_number: '+447700900000', body: `<${n}>`, webhook_id: `whk_${n}`, received_at: 1_000 + n,
      });
      assert.deepEqual((await store.addInboundPart(part(3))).map((p) => p.part), [3]);
      assert.deepEqual((await store.addInboundPart(part(1))).map((p) => p.part), [1, 3]);
      assert.deepEqual((await store.addInboundPart({ ...part(1), body: 'a retried webhook' })).map((p) => [p.part, p.body]), [[1, '<1>'], [3, '<3>']], 'a part kept once');
      assert.deepEqual((await store.addInboundPart(part(2))).map((p) => p.body).join(''), '<1><2><3>');
      assert.deepEqual((await store.addInboundPart({ ...part(1), from_number: '+447700900002' })).map((p) => p.part), [1], 'another sender\'s parts are apart');
    });


    it('purges raw webhooks processed before a time, never one still to be processed', async () => {
      const old = Date.now() - 500 * 86_400_000;
      const provider = `purge-${newId('whk').slice(-8)}`;
      const processed = webhookRow({ provider_id: provider, received_at: old, process_after: old });
      const waiting = webhookRow({ provider_id: provider, received_at: old, process_after: Date.now() + 86_400_000 });
      await store.insertWebhooks([processed, waiting]);
      await store.claimWebhooks(old, 1, 100_000);
      await store.finishWebhooks([{ id: processed.id, error: null }], [], 0, old);
      let total = 0;
      for (let n = -1; n !== 0;) { n = await store.purgeWebhooks(old + 1, 1); total += n; }
      assert.ok(total >= 1);
      assert.deepEqual((await store.listWebhooks({ providerId: provider })).map((w) => w.id), [waiting.id]);
    });
  });
}
