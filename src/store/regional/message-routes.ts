// Where a RegionalStore sends the ledger's, the webhook log's and the callback queue's
// calls: a message by its id's region tag; a raw webhook by its id's tag (the ingest tags
// it with the region of the message or number it is about); an inbound text by the
// region of the number it was sent to; a claimed row back to the region it came from.
// Claims and sweeps cover the regions this process works in; lists, counts and reports
// every region that answers.
import type { CallbackQueue, MessageLedger, QueueStats, ReceiptResult, Store, WebhookLog } from '../store.ts';
import { tagId } from '../../domain/regions.ts';
import { claimsOf, earliest, newestFirst, sum, type Region, type Regions, type Seen } from './regions.ts';

type MessageRoutes = Omit<MessageLedger & WebhookLog & CallbackQueue, 'listen'>;

export function messageRoutes(r: Regions, seen: Seen): MessageRoutes {
  const ofMessage = (id: string) => r.ofId(id);
  const claimed = (id: string) => seen.get(id) ?? r.ofId(id);
  /** a message's rows (attempts, parts, events): from its region */
  const rowsOf = <T>(id: string, f: (s: Store) => Promise<T[]>) => r.find(id, f, (rows) => rows.length > 0);
  const share = (limit: number) => Math.max(1, Math.ceil(limit / Math.max(1, r.working.length)));
  return {
    insertMessages: (batch) => r.splitMap(batch, (n) => ofMessage(n.row.id), (s, part) => s.insertMessages(part)),
    getMessage: (accountId, id) => r.find(id, (s) => s.getMessage(accountId, id)),
    getMessages: async (ids) => (await Promise.all([...r.split(ids, ofMessage)].map(([g, part]) => r.call(g, (s) => s.getMessages(part))))).flat(),
    listMessages: async (filter) => newestFirst(await r.gather(r.all, (s) => s.listMessages(filter)), filter.limit),
    listAttempts: (id) => rowsOf(id, (s) => s.listAttempts(id)),
    listParts: (id) => rowsOf(id, (s) => s.listParts(id)),
    listEvents: (id) => rowsOf(id, (s) => s.listEvents(id)),
    cancelMessage: (accountId, id, now, announce, announceEvents) => r.call(ofMessage(id), (s) => s.cancelMessage(accountId, id, now, announce, announceEvents)),
    claimDue: async (owner, now, leaseMs, limit, bulkShare, spacingMs) => claimsOf(await r.gather(r.working, (s) => s.claimDue(owner, now, leaseMs, share(limit), bulkShare, spacingMs))),
    recordOutcomes: async (outcomes) => {
      const sets = await Promise.all([...r.split(outcomes, (o) => ofMessage(o.messageId))].map(([g, part]) => r.call(g, (s) => s.recordOutcomes(part))));
      return new Set(sets.flatMap((s) => [...s]));
    },
    dueReceiptFailovers: async (now, limit) => (await r.gather(r.working, (s) => s.dueReceiptFailovers(now, limit))).flat().slice(0, limit),
    releaseLeases: (owner, ids, now) => r.splitDo(ids, ofMessage, (s, part) => s.releaseLeases(owner, part, now)),
    nextDueAt: async () => earliest(await r.gather(r.working, (s) => s.nextDueAt())),
    queueStats: async (now, accountId) => mergeQueueStats(await r.gather(r.all, (s) => s.queueStats(now, accountId))),
    waitingForRoute: async () => {
      const by = new Map<string | null, number>();
      for (const w of (await r.gather(r.all, (s) => s.waitingForRoute())).flat()) by.set(w.country, (by.get(w.country) ?? 0) + w.n);
      return [...by].map(([country, n]) => ({ country, n }));
    },
    wakeWaiting: async (now) => sum(await r.gather(r.working, (s) => s.wakeWaiting(now))),
    partsToReconcile: async (providerId, sentBefore, checkedBefore, limit) => (await r.gather(r.working, (s) => s.partsToReconcile(providerId, sentBefore, checkedBefore, limit))).flat().slice(0, limit),
    markReconciled: async (parts, now, checkedBefore) => (await Promise.all([...r.split(parts, (p) => ofMessage(p.message_id))].map(([g, part]) => r.call(g, (s) => s.markReconciled(part, now, checkedBefore))))).flat(),
    unsettledParts: async (sentBefore, limit) => (await r.gather(r.working, (s) => s.unsettledParts(sentBefore, limit))).flat().slice(0, limit),
    unsettledStats: async () => {
      const all = await r.gather(r.all, (s) => s.unsettledStats());
      return { count: sum(all.map((a) => a.count)), oldestAt: earliest(all.map((a) => a.oldestAt)) };
    },
    purgeMessages: async (finalBefore, limit, archive) => sum(await r.gather(r.working, (s) => s.purgeMessages(finalBefore, limit, archive))),
    finalMessages: async (since, until, accountId, withMetadata) => (await r.each(r.all, (s) => s.finalMessages(since, until, accountId, withMetadata))).flat(),
    acceptedIn: async (since, until, accountId) => (await r.each(r.all, (s) => s.acceptedIn(since, until, accountId))).flat(),
    countByCountry: async () => {
      const by = new Map<string | null, number>();
      for (const c of (await r.each(r.all, (s) => s.countByCountry())).flat()) by.set(c.country, (by.get(c.country) ?? 0) + c.n);
      return [...by].map(([country, n]) => ({ country, n }));
    },
    messageOfProvider: async (providerId, pmid) => (await r.gather(r.all, (s) => s.messageOfProvider(providerId, pmid))).find(Boolean),
    lastSender: async (to) => {
      const home = r.ofNumber(to);
      return (await r.call(home, (s) => s.lastSender(to))) ?? (await r.gather(r.all.filter((g) => g !== home), (s) => s.lastSender(to))).find(Boolean);
    },
    providerWindows: async (since, accountId) => {
      const by = new Map<string, { provider_id: string; sends: number; errors: number; failovers: number }>();
      for (const w of (await r.gather(r.all, (s) => s.providerWindows(since, accountId))).flat()) {
        const m = by.get(w.provider_id);
        if (m) { m.sends += w.sends; m.errors += w.errors; m.failovers += w.failovers; } else by.set(w.provider_id, { ...w });
      }
      return [...by.values()];
    },
    countFailovers: async (since) => sum(await r.gather(r.all, (s) => s.countFailovers(since))),
    rollUpAttemptBuckets: async (now) => sum(await r.gather(r.working, (s) => s.rollUpAttemptBuckets(now))),

    // Raw webhooks: stored in the region their id is tagged with.
    insertWebhooks: (rows) => r.splitDo(rows, (w) => r.ofId(w.id), (s, part) => s.insertWebhooks(part)),
    claimWebhooks: async (now, leaseMs, limit, spacingMs) => claimsOf(await Promise.all(r.working.map(async (g) => seen.noteAll(await r.rowsOf(g, (s) => s.claimWebhooks(now, leaseMs, share(limit), spacingMs)), (w) => w.id, g)))),
    applyReceipts: async (receipts, now, plan) => {
      // In the webhook's region first; one that matches no message there is tried in the
      // others (a receipt that came before its send was recorded was stored by its number).
      const out: ReceiptResult[] = await r.splitMap(receipts, (x) => claimed(x.webhookId), (s, part) => s.applyReceipts(part, now, plan));
      for (const g of r.all) {
        const open = receipts.map((x, i) => [x, i] as const).filter(([x, i]) => !out[i].message && claimed(x.webhookId) !== g);
        if (open.length === 0) break;
        const got = await r.rowsOf(g, (s) => s.applyReceipts(open.map(([x]) => x), now, plan));
        got.forEach((res, k) => { if (res.message) out[open[k][1]] = res; });
      }
      return out;
    },
    finishWebhooks: async (done, deferred, until, now) => {
      const regions = new Set([...done.map((d) => claimed(d.id)), ...deferred.map(claimed)]);
      await Promise.all([...regions].map((g) => r.call(g, (s) => s.finishWebhooks(done.filter((d) => claimed(d.id) === g), deferred.filter((d) => claimed(d) === g), until, now))));
      for (const d of done) seen.forget(d.id);
    },
    nextWebhookDueAt: async () => earliest(await r.gather(r.working, (s) => s.nextWebhookDueAt())),
    webhookBacklog: async (now) => {
      const all = await r.gather(r.all, (s) => s.webhookBacklog(now));
      return { count: sum(all.map((a) => a.count)), oldestAt: earliest(all.map((a) => a.oldestAt)) };
    },
    listWebhooks: async (f) => {
      const rows = (await r.gather(r.all, (s) => s.listWebhooks(f))).flat();
      if (f.newest === undefined) return rows.sort((a, b) => a.received_at - b.received_at || (a.id < b.id ? -1 : 1));
      return rows.sort((a, b) => b.received_at - a.received_at || (a.id < b.id ? 1 : -1)).slice(0, f.newest);
    },
    getWebhook: (id) => r.find(id, (s) => s.getWebhook(id)),
    purgeWebhooks: async (before, limit) => sum(await r.gather(r.working, (s) => s.purgeWebhooks(before, limit))),
    requeueWebhooks: (ids, now) => r.splitDo(ids, (id) => r.ofId(id), (s, part) => s.requeueWebhooks(part, now)),
    // Inbound texts: in the region of the number they were sent to, their ids tagged with it.
    addInboundPart: (row) => r.call(r.ofNumber(row.to_number), (s) => s.addInboundPart(row)),
    insertInbound: async (rows) => {
      const stored = await Promise.all([...r.split(rows, (m) => r.ofNumber(m.to_number))].map(([g, part]) =>
        r.call(g, (s) => s.insertInbound(part.map((m) => ({ ...m, id: tagId(m.id, g.index) }))))));
      return stored.flat();
    },
    getInbound: (accountId, id) => r.find(id, (s) => s.getInbound(accountId, id)),
    listInbound: async (accountId, before, limit) => newestFirst(await r.gather(r.all, (s) => s.listInbound(accountId, before, limit)), limit),

    // Callbacks: with the message (or inbound text) they announce.
    claimCallbacks: async (now, leaseMs, limit, claim) => (await Promise.all(r.working.map(async (g) => seen.noteAll(await r.rowsOf(g, (s) => s.claimCallbacks(now, leaseMs, share(limit), claim)), (c) => c.id, g)))).flat(),
    finishCallback: async (id, set, attempt, now) => { await r.call(claimed(id), (s) => s.finishCallback(id, set, attempt, now)); seen.forget(id); },
    finishCallbacks: async (done, now) => {
      await r.splitDo(done, (d) => claimed(d.id), (s, part) => s.finishCallbacks(part, now));
      for (const d of done) seen.forget(d.id);
    },
    insertCallbacks: (rows) => r.splitDo(rows, (c) => r.ofId(c.message_id), (s, part) => s.insertCallbacks(part)),
    listCallbacks: (messageId) => rowsOf(messageId, (s) => s.listCallbacks(messageId)),
    listCallbackAttempts: async (callbackId) => (await r.gather(r.all, (s) => s.listCallbackAttempts(callbackId))).flat(),
  };
}

function mergeQueueStats(all: QueueStats[]): QueueStats {
  const byStatus: Record<string, number> = {};
  const lanes = new Map<string, QueueStats['lanes'][number]>();
  for (const q of all) {
    for (const [k, n] of Object.entries(q.byStatus)) byStatus[k] = (byStatus[k] ?? 0) + n;
    for (const l of q.lanes) {
      const key = `${l.account_id}\u0000${l.lane}`;
      const m = lanes.get(key);
      if (m) { m.depth += l.depth; m.oldestDueAt = earliest([m.oldestDueAt, l.oldestDueAt]); } else lanes.set(key, { ...l });
    }
  }
  return { depth: sum(all.map((q) => q.depth)), oldestDueAt: earliest(all.map((q) => q.oldestDueAt)), byStatus, lanes: [...lanes.values()] };
}

export type { Region };
