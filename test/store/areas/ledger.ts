// Contract cases for the MessageLedger port (run on every store by ../store-suite.ts).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import type { Outcome, ReceiptWrite, Store } from '../../../src/store/store.ts';
import { newMessage, messageRow, webhookRow } from '../../helpers/rows.ts';
import { newId } from '../../../src/domain/ids.ts';
import { planReceipt } from '../../../src/receipts/plan.ts';
import { callbackFor } from '../../../src/callbacks/enqueue.ts';
import { consent, part, receiptFor, sentMessage } from './helpers.ts';

export function ledgerCases(get: () => Store): void {
  describe('MessageLedger', () => {
    let store: Store;
    before(() => { store = get(); });

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

    it('refuses, inside the insert, a message whose recipient opted out, and inserts the rest of the batch', async () => {
      const now = Date.now();
      const acc = `acc_${newId('msg')}`;
      await consent(store, { account: acc, number: '+14155550161' });
      await consent(store, { account: acc, number: '+14155550162', sender: '+14155550199' });
      await consent(store, { account: acc, number: '+14155550163', topic: 'marketing' });
      const key = `k-${newId('msg')}`;
      const batch = [
        { ...newMessage({ account_id: acc, to_number: '+14155550161' }, { key, hash: 'h' }), checkOptOut: true }, // account-wide opt-out
        { ...newMessage({ account_id: acc, to_number: '+14155550162', from_number: '+14155550100' }), checkOptOut: true }, // another sender: allowed
        { ...newMessage({ account_id: acc, to_number: '+14155550162', from_number: '+14155550199' }), checkOptOut: true }, // that sender: refused
        { ...newMessage({ account_id: acc, to_number: '+14155550162', from_number: null }), checkOptOut: true }, // routing's choice: refused
        newMessage({ account_id: acc, to_number: '+14155550161' }), // not checked (a STOP's own reply)
        { ...newMessage({ account_id: 'another', to_number: '+14155550161' }), checkOptOut: true }, // another account
        { ...newMessage({ account_id: acc, to_number: '+14155550163', topic: 'marketing' }), checkOptOut: true }, // the topic opted out of: refused
        { ...newMessage({ account_id: acc, to_number: '+14155550163', topic: 'billing' }), checkOptOut: true }, // another topic
        { ...newMessage({ account_id: acc, to_number: '+14155550163' }), checkOptOut: true }, // no topic
        { ...newMessage({ account_id: acc, to_number: '+14155550161' }), checkOptOut: true, optOutTopicsOnly: true }, // transactional, past an opt-out of every topic
        { ...newMessage({ account_id: acc, to_number: '+14155550163', topic: 'marketing' }), checkOptOut: true, optOutTopicsOnly: true }, // but not past its topic's
      ];
      const res = await store.insertMessages(batch);
      assert.deepEqual(res.map((r) => r.kind), ['opted_out', 'inserted', 'opted_out', 'opted_out', 'inserted', 'inserted', 'opted_out', 'inserted', 'inserted', 'inserted', 'opted_out']);
      assert.equal(res[6].kind === 'opted_out' && res[6].optOut.topic, 'marketing');
      assert.equal(res[0].kind === 'opted_out' && res[0].optOut.sender, '');
      assert.equal(res[2].kind === 'opted_out' && res[2].optOut.sender, '+14155550199');
      assert.equal(await store.getMessage(null, batch[0].row.id), undefined);
      // The refused message took no idempotency key: the key is free for a later send.
      const [later] = await store.insertMessages([newMessage({ account_id: acc, to_number: '+14155550170' }, { key, hash: 'other' })]);
      assert.equal(later.kind, 'inserted');
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
      // Claimers racing may each come away with fewer than they asked (a row another one
      // locked is skipped, not waited for); claiming again takes the rest. No row twice.
      const all: string[] = [];
      for (let round = 0; round < 20; round++) {
        const got = (await Promise.all(['a', 'b', 'c'].map((owner) => store.claimDue(owner, now, 60_000, 25)))).flat();
        if (got.length === 0) break;
        all.push(...got.map((m) => m.id));
      }
      assert.equal(new Set(all).size, all.length, 'no message handed to two claimers');
      assert.ok(all.length >= 60, 'every due message was claimed');
    });

    it('claims by lane, then by turn: a quiet account comes before a busy one\'s backlog, urgent before normal before bulk', async () => {
      const now = Date.now() + 30_000_000_000;
      while ((await store.claimDue('drain', now, 1e12, 1000)).length > 0); // earlier cases' rows out of the way
      const busy = Array.from({ length: 5 }, () => newMessage({ account_id: 'busy', next_attempt_at: now - 100, lane: 1 }));
      await store.insertMessages(busy);
      const quiet = newMessage({ account_id: 'quiet', next_attempt_at: now - 50, lane: 1 });
      const urgent = newMessage({ account_id: 'busy', next_attempt_at: now - 10, lane: 0 });
      const bulk = newMessage({ account_id: 'other', next_attempt_at: now - 200, lane: 2 });
      await store.insertMessages([quiet, urgent, bulk]);
      // The busy account's turn keys run one turn apart; the quiet one's first comes after one of them.
      const keys = (await store.getMessages(busy.map((b) => b.row.id))).sort((a, b) => a.fair_key! - b.fair_key!).map((m) => m.fair_key!);
      assert.ok(keys.every((k, i) => i === 0 || k > keys[i - 1]), 'a flow\'s keys rise one turn per message');
      const first = await store.claimDue('w-turn', now, 30_000, 3);
      assert.deepEqual(first.map((m) => m.id), [urgent.row.id, busy[0].row.id, quiet.row.id]);
      const rest = await store.claimDue('w-turn', now, 30_000, 10);
      assert.deepEqual(rest.map((m) => m.id), [...busy.slice(1).map((b) => b.row.id), bulk.row.id], 'bulk last, oldest of its lane though it is');
    });

    it('gives the bulk lane its share of a claim, and a flow with nothing waiting starts again at its due time', async () => {
      const now = Date.now() + 31_000_000_000;
      while ((await store.claimDue('drain', now, 1e12, 1000)).length > 0);
      const urgent = Array.from({ length: 4 }, () => newMessage({ account_id: 'a', next_attempt_at: now - 10, lane: 0 }));
      const bulk = Array.from({ length: 2 }, () => newMessage({ account_id: 'b', next_attempt_at: now - 10, lane: 2 }));
      await store.insertMessages([...urgent, ...bulk]);
      const claimed = await store.claimDue('w-share', now, 30_000, 3, 1);
      assert.equal(claimed.filter((m) => m.lane === 2).length, 1, 'one of three from the bulk lane');
      assert.equal(claimed.filter((m) => m.lane === 0).length, 2);
      assert.deepEqual(claimed.map((m) => m.lane), [0, 0, 2], 'returned in send order');
      const rest = await store.claimDue('w-share', now, 30_000, 10);
      await store.recordOutcomes([...claimed, ...rest].map((m) => ({ messageId: m.id, leaseOwner: 'w-share', now, attempts: [], parts: [], event: null, callback: null,
        set: { status: 'sent' as const, attempts: 1, throttled_attempts: 0, next_attempt_at: null, sent_at: now } })));
      // Nothing of account a waits now: its next message is stamped from its due time, not behind its old keys.
      const later = newMessage({ account_id: 'a', next_attempt_at: now, lane: 0 });
      await store.insertMessages([later]);
      const [row] = await store.getMessages([later.row.id]);
      assert.equal(row.fair_key, now * 1000 + 1_000_000);
    });

    it('counts the queue by account and lane', async () => {
      const now = Date.now() + 32_000_000_000;
      while ((await store.claimDue('drain', now, 1e12, 1000)).length > 0);
      const acc = `acc_${newId('msg')}`;
      await store.insertMessages([newMessage({ account_id: acc, next_attempt_at: now - 5_000, lane: 2 }), newMessage({ account_id: acc, next_attempt_at: now - 1_000, lane: 2 }), newMessage({ account_id: acc, next_attempt_at: now, lane: 0 })]);
      const q = await store.queueStats(now, acc);
      assert.deepEqual(q.lanes.map((l) => [l.lane, l.depth, l.oldestDueAt]), [[0, 1, now], [2, 2, now - 5_000]]);
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

    it('records an outcome with its attempt and releases the lease', async () => {
      const now = Date.now() + 20_000_000_000;
      const m = newMessage({ next_attempt_at: now });
      await store.insertMessages([m]);
      await store.claimDue('w9', now, 30_000, 10_000);
      const applied = await store.recordOutcomes([{
        messageId: m.row.id, leaseOwner: 'w9', now,
        set: { status: 'sent', attempts: 1, throttled_attempts: 0, next_attempt_at: null, provider_id: 'sim', provider_message_id: 'p-1', from_number: '+15005550006', sent_at: now },
        attempts: [{ id: newId('att'), message_id: m.row.id, attempt: 1, provider_id: 'sim', from_number: '+15005550006', outcome: 'sent', error_code: null, error_message: null, provider_error_code: null, provider_message_id: 'p-1', started_at: now, finished_at: now, failover: 0 }],
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


    it('reads several messages at once, and releases a lease so the row is due again at once', async () => {
      const now = Date.now();
      const a = newMessage({ status: 'sending', lease_owner: 'w-release', next_attempt_at: now + 60_000 });
      const b = newMessage();
      await store.insertMessages([a, b]);
      assert.deepEqual((await store.getMessages([a.row.id, b.row.id, 'msg_missing'])).map((m) => m.id).sort(), [a.row.id, b.row.id].sort());
      await store.releaseLeases('w-other', [a.row.id], now);
      assert.equal((await store.getMessage(null, a.row.id))?.status, 'sending', 'only the owner releases its lease');
      await store.releaseLeases('w-release', [a.row.id], now);
      const released = await store.getMessage(null, a.row.id);
      assert.deepEqual([released?.status, released?.lease_owner, released?.next_attempt_at], ['queued', null, now]);
      const next = await store.nextDueAt();
      assert.ok(next !== null && next <= now, 'the released row is among the earliest due');
      assert.equal(released?.interrupted, 1, 'released mid-send: the next claim asks the provider first');
    });

    it('marks a claim interrupted when it takes a row still sending (expired lease), and an outcome clears it', async () => {
      const now = Date.now();
      const expired = newMessage({ status: 'sending', lease_owner: 'w-dead', next_attempt_at: now - 1_000, attempts: 1 });
      const fresh = newMessage({ next_attempt_at: now - 1_000 });
      await store.insertMessages([expired, fresh]);
      const claimed = (await store.claimDue('w-next', now, 30_000, 1000)).filter((m) => m.id === expired.row.id || m.id === fresh.row.id);
      assert.deepEqual(claimed.map((m) => [m.id, m.interrupted]).sort(), [[expired.row.id, 1], [fresh.row.id, 0]].sort());
      const row = claimed.find((m) => m.id === expired.row.id)!;
      await store.recordOutcomes([{
        messageId: row.id, leaseOwner: 'w-next', now, attempts: [], parts: [], event: null, callback: null,
        set: { status: 'queued', attempts: row.attempts - 1, throttled_attempts: 0, next_attempt_at: now + 60_000 },
      }]);
      assert.equal((await store.getMessage(null, row.id))?.interrupted, 0);
    });

    it('lists messages final within a time range, and when messages were accepted since a time', async () => {
      const acct = `acct_r_${newId('msg')}`;
      const t0 = Date.now() - 5_000;
      const rows = [
        messageRow({ account_id: acct, status: 'delivered', final_at: t0 + 1_000, sent_at: t0, provider_id: 'p1', country: 'US', metadata: JSON.stringify({ job_id: 'j1' }) }),
        messageRow({ account_id: acct, status: 'failed', final_at: t0 + 2_000, provider_id: 'p2', country: 'GB' }),
        messageRow({ account_id: acct, status: 'delivered', final_at: t0 + 9_000 }),
        messageRow({ account_id: acct }),
      ];
      await store.insertMessages(rows.map((row) => ({ row, idempotency: null })));
      const finals = await store.finalMessages(t0, t0 + 5_000, acct);
      assert.deepEqual(finals.map((f) => [f.account_id, f.status, f.provider_id, f.country, f.final_at]).sort(), [[acct, 'delivered', 'p1', 'US', t0 + 1_000], [acct, 'failed', 'p2', 'GB', t0 + 2_000]]);
      assert.equal((await store.finalMessages(t0, t0 + 5_000, `${acct}-none`)).length, 0);
      assert.ok((await store.finalMessages(t0, t0 + 5_000)).length >= 2, "every account's");
      const accepted = await store.acceptedIn(t0 - 60_000, Date.now() + 1, acct);
      assert.deepEqual(accepted.map((a) => [a.account_id, a.created_at]).sort(), rows.map((r) => [acct, r.created_at]).sort());
      assert.equal((await store.acceptedIn(Date.now() + 60_000, Date.now() + 120_000, acct)).length, 0, 'none accepted in the future');
      assert.equal((await store.acceptedIn(t0 - 120_000, t0 - 60_000, acct)).length, 0, 'none accepted before');
    });

    it("reports one account's queue, or every account's, counting only messages not yet final", async () => {
      const now = Date.now();
      const acct = `acct_q_${newId('msg')}`;
      await store.insertMessages([
        newMessage({ account_id: acct, next_attempt_at: now - 5_000 }), newMessage({ account_id: acct, next_attempt_at: now - 1_000 }),
        newMessage({ account_id: acct, status: 'sent', next_attempt_at: null }),
        newMessage({ account_id: acct, status: 'delivered', next_attempt_at: null, final_at: now }),
      ]);
      const mine = await store.queueStats(now, acct);
      assert.deepEqual([mine.depth, mine.oldestDueAt, mine.byStatus], [2, now - 5_000, { queued: 2, sent: 1 }]);
      const all = await store.queueStats(now);
      assert.ok(all.depth >= 2 && (all.oldestDueAt ?? Infinity) <= now - 5_000);
      assert.deepEqual(await store.queueStats(now, `${acct}-none`), { depth: 0, oldestDueAt: null, byStatus: {}, lanes: [] });
    });

    it('counts the messages waiting for a route by country, and only those', async () => {
      const n = async (c: string) => (await store.waitingForRoute()).find((w) => w.country === c)?.n ?? 0;
      const [zw, zm] = [await n('ZW'), await n('ZM')];
      const waiting = { status: 'queued' as const, error_code: 'route_unavailable' };
      await store.insertMessages([
        newMessage({ country: 'ZW', ...waiting }), newMessage({ country: 'ZW', ...waiting }), newMessage({ country: 'ZM', ...waiting }),
        newMessage({ country: 'ZW', status: 'queued', error_code: 'provider_error' }), newMessage({ country: 'ZW', status: 'failed', error_code: 'route_unavailable', final_at: Date.now() }),
      ]);
      assert.deepEqual([await n('ZW') - zw, await n('ZM') - zm], [2, 1]);
    });

    it('makes the messages waiting for a route due now, and only those', async () => {
      const now = Date.now();
      const later = now + 60_000;
      const waiting = [
        newMessage({ status: 'queued', error_code: 'route_unavailable', next_attempt_at: later }),
        newMessage({ status: 'queued', error_code: 'no_provider_configured', next_attempt_at: later }),
      ];
      const backingOff = newMessage({ status: 'queued', error_code: 'provider_error', next_attempt_at: later });
      await store.insertMessages([...waiting, backingOff]);
      assert.ok(await store.wakeWaiting(now) >= 2);
      const rows = await store.getMessages([...waiting, backingOff].map((m) => m.row.id));
      const due = new Map(rows.map((r) => [r.id, r.next_attempt_at]));
      assert.deepEqual(waiting.map((m) => due.get(m.row.id)), [now, now], 'the waiting ones are due');
      assert.equal(due.get(backingOff.row.id), later, 'a message backing off after a failure keeps its time');
    });

    it('knows the last sender to a recipient, and each provider\'s attempts, errors and failovers since a time', async () => {
      const at = Date.now() + 50_000_000_000;
      const provider = `pw-${newId('msg').slice(-8)}`;
      const to = `+1415555${String(at).slice(-4)}`;
      const acct = `acct_w_${newId('msg')}`;
      const m = newMessage({ account_id: acct, to_number: to, status: 'sending', lease_owner: 'w-win', next_attempt_at: at });
      await store.insertMessages([m]);
      const attempt = (outcome: 'transient' | 'sent', failover: number) => ({
        id: newId('att'), message_id: m.row.id, attempt: 1, provider_id: provider, from_number: '+14155550199', outcome, error_code: outcome === 'sent' ? null : '503',
        error_message: null, provider_error_code: null, provider_message_id: null, started_at: at, finished_at: at, failover,
      });
      const o: Outcome = {
        messageId: m.row.id, leaseOwner: 'w-win', now: at, event: null, callback: null, parts: [part(m.row.id, 0, `lw-${m.row.id}`, at)],
        attempts: [attempt('transient', 1), attempt('sent', 0)],
        set: { status: 'sent', attempts: 1, throttled_attempts: 0, next_attempt_at: null, provider_id: provider, from_number: '+14155550199', sent_at: at },
      };
      await store.recordOutcomes([o]);
      assert.deepEqual(await store.lastSender(to), { from_number: '+14155550199', provider_id: provider });
      assert.equal(await store.lastSender('+14155550000'), undefined);
      assert.ok((await store.countByCountry()).some((c) => c.country === m.row.country && c.n >= 1), 'counted by its country');
      // A receipt's way to its message: the provider's id for a part.
      assert.equal(await store.messageOfProvider('sim', `lw-${m.row.id}`), m.row.id);
      assert.equal(await store.messageOfProvider(provider, `lw-${m.row.id}`), undefined, 'another provider\'s id space');
      const w = (await store.providerWindows(at - 1)).find((p) => p.provider_id === provider);
      assert.deepEqual(w, { provider_id: provider, sends: 2, errors: 1, failovers: 1 });
      assert.deepEqual((await store.providerWindows(at - 1, acct)).map((p) => p.provider_id), [provider]);
      assert.deepEqual(await store.providerWindows(at - 1, `${acct}-other`), [], "another account's share is empty");
      assert.equal(await store.countFailovers(at - 1), 1);
      assert.deepEqual((await store.listAttempts(m.row.id)).map((a) => a.outcome).sort(), ['sent', 'transient']);
      assert.deepEqual(await store.listEvents(m.row.id), []);
    });

    it('finds the parts still sent long after sending, per provider, and asks about each once per interval', async () => {
      const now = Date.now() + 80_000_000_000;
      const m = newMessage({ status: 'sending', lease_owner: 'w-rec', next_attempt_at: now });
      await store.insertMessages([m]);
      const provider = `rec-${newId('msg').slice(-8)}`;
      const parts = [0, 1].map((i) => ({ ...part(m.row.id, i, `rec-${m.row.id}-${i}`, now), provider_id: provider }));
      await store.recordOutcomes([{ messageId: m.row.id, leaseOwner: 'w-rec', now, attempts: [], event: null, callback: null, parts, set: { status: 'sent', attempts: 1, throttled_attempts: 0, next_attempt_at: null, provider_id: provider, sent_at: now } }]);
      assert.deepEqual(await store.partsToReconcile(provider, now, now, 10), [], 'not before the wait is over');
      const due = await store.partsToReconcile(provider, now + 1, now + 1, 10);
      assert.deepEqual(due.map((p) => p.part_index), [0, 1]);
      assert.deepEqual((await store.partsToReconcile(provider, now + 1, now + 1, 1)).length, 1, 'in batches');
      assert.deepEqual(await store.partsToReconcile(`${provider}-other`, now + 1, now + 1, 10), []);
      assert.equal((await store.markReconciled([due[0]], now + 1, now + 1)).length, 1, 'claimed for this round');
      assert.equal((await store.markReconciled([due[0]], now + 1, now + 1)).length, 0, 'another worker in the same round gets nothing to ask');
      assert.deepEqual((await store.partsToReconcile(provider, now + 2, now + 1, 10)).map((p) => p.part_index), [1], 'asked about just now');
      assert.deepEqual((await store.partsToReconcile(provider, now + 5, now + 5, 10)).map((p) => p.part_index), [0, 1], 'due again an interval later');
    });


    it('purges messages final before a time, with all recorded about them, archiving each first; never one still under way', async () => {
      const old = Date.now() - 400 * 86_400_000;
      const acct = `acct_ret_${newId('msg')}`;
      const done = newMessage({ account_id: acct, status: 'sending', lease_owner: 'w-ret', next_attempt_at: old, created_at: old, callback_url: 'https://example.com/h' }, { key: `k-${acct}`, hash: 'h' });
      const pending = newMessage({ account_id: acct, next_attempt_at: old + 1, created_at: old });
      await store.insertMessages([done, pending]);
      await store.recordOutcomes([{
        messageId: done.row.id, leaseOwner: 'w-ret', now: old, event: null, parts: [part(done.row.id, 0, `ret-${done.row.id}`, old)],
        attempts: [{ id: newId('att'), message_id: done.row.id, attempt: 1, provider_id: 'sim', from_number: null, outcome: 'sent', error_code: null, error_message: null, provider_error_code: null, provider_message_id: `ret-${done.row.id}`, started_at: old, finished_at: old, failover: 0 }],
        callback: null, set: { status: 'failed', attempts: 1, throttled_attempts: 0, next_attempt_at: null, final_at: old },
      }]);
      const archived: string[] = [];
      let total = 0;
      for (let n = -1; n !== 0;) { n = await store.purgeMessages(old + 1, 2, (rows) => { archived.push(...rows.map((r) => r.id)); }); total += n; }
      assert.ok(total >= 1 && archived.includes(done.row.id));
      assert.equal(await store.getMessage(null, done.row.id), undefined);
      assert.deepEqual([await store.listAttempts(done.row.id), await store.listParts(done.row.id), await store.listEvents(done.row.id), await store.listCallbacks(done.row.id)], [[], [], [], []]);
      assert.ok(await store.getMessage(null, pending.row.id), 'a message not yet final is kept, however old');
      const again = await store.insertMessages([newMessage({ account_id: acct }, { key: `k-${acct}`, hash: 'other' })]);
      assert.equal(again[0].kind, 'inserted', 'its idempotency key went with it');
      const keep = newMessage({ status: 'delivered', final_at: Date.now(), next_attempt_at: null });
      await store.insertMessages([keep]);
      await assert.rejects(store.purgeMessages(Date.now() + 1, 1000, () => { throw new Error('archive full'); }), /archive full/);
      assert.ok(await store.getMessage(null, keep.row.id), 'nothing is deleted that was not archived');
    });


    it('finds parts of any provider still sent long after sending (the receipt deadline), oldest first', async () => {
      const now = Date.now() + 90_000_000_000;
      const m = newMessage({ status: 'sending', lease_owner: 'w-dl', next_attempt_at: now });
      await store.insertMessages([m]);
      const p = { ...part(m.row.id, 0, `dl-${m.row.id}`, now), provider_id: `gone-${newId('msg').slice(-6)}` };
      await store.recordOutcomes([{ messageId: m.row.id, leaseOwner: 'w-dl', now, attempts: [], event: null, callback: null, parts: [p], set: { status: 'sent', attempts: 1, throttled_attempts: 0, next_attempt_at: null, provider_id: p.provider_id, sent_at: now } }]);
      assert.ok(!(await store.unsettledParts(now, 100_000)).some((x) => x.message_id === m.row.id), 'not before the deadline');
      assert.ok((await store.unsettledParts(now + 1, 100_000)).some((x) => x.message_id === m.row.id), 'whatever its provider');
      const stats = await store.unsettledStats();
      assert.ok(stats.count >= 1, 'counted among the parts still awaiting a receipt');
      assert.ok(stats.oldestAt !== null && stats.oldestAt <= now, 'the oldest is no newer than this one');
    });
  });
}
