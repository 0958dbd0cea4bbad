// Where a RegionalStore sends the rest of the personal data: relays, masks and
// conversations by the business number's region; opt-outs, consent records and carrier
// lookups by the recipient's; outbox events with what they announce (a message, an
// inbound text: its id's region; an event about no message — a circuit, configuration —
// in the home store). Batches and report rollups hold no number and no text: their
// records live with the configuration in the home store, their counts are read from
// every region.
import type { BatchStore, ConsentLedger, OutboxRow, ConversationStore, EventOutbox, LookupCache, MaskStore, RecordStore, RelayRow, RelayStore, Store } from '../store.ts';
import type { MessageStatus } from '../../domain/status.ts';
import { newestFirst, sum, type Region, type Regions, type Seen } from './regions.ts';

type OtherRoutes = RelayStore & MaskStore & ConversationStore & LookupCache & Pick<ConsentLedger, 'recordConsent' | 'listConsent'> & Pick<RecordStore, 'listOptOuts'>
  & Pick<BatchStore, 'batchCounts' | 'batchFailures'> & Pick<EventOutbox, 'appendEvents'>;

export function otherRoutes(r: Regions, seen: Seen): OtherRoutes {
  /** A relay's region: where this process saw it, else the first that has it, asking its id's tag's region first. */
  const relayRegion = async (id: string): Promise<Region> => {
    const known = seen.get(id);
    if (known) return known;
    const tagged = r.tagged(id);
    for (const g of tagged ? [tagged, ...r.all.filter((x) => x !== tagged)] : r.all) if (await r.call(g, (s) => s.getRelay(id))) { seen.note(id, g); return g; }
    return r.ofId(id);
  };
  const firstTrue = async (f: (s: Store) => Promise<boolean>) => {
    for (const g of r.all) if (await r.call(g, f)) return true;
    return false;
  };
  const noteRelays = (g: Region, rows: RelayRow[]) => seen.noteAll(rows, (x) => x.id, g);
  return {
    upsertRelayRule: (row) => r.home.upsertRelayRule(row),
    listRelayRules: (accountId) => r.home.listRelayRules(accountId),
    getRelayRule: (n) => r.home.getRelayRule(n),
    insertRelay: (row) => {
      const g = r.ofNumber(row.number);
      seen.note(row.id, g);
      return r.call(g, (s) => s.insertRelay(row));
    },
    getRelay: (id) => r.find(id, (s) => s.getRelay(id)),
    listRelays: async (f) => newestFirst(await r.gather(r.all, (s) => s.listRelays(f)), f.limit),
    updateRelay: async (id, from, set, now) => r.call(await relayRegion(id), (s) => s.updateRelay(id, from, set, now)),
    dueRelays: async (now, limit) => (await Promise.all(r.working.map(async (g) => noteRelays(g, await r.rowsOf(g, (s) => s.dueRelays(now, limit)))))).flat().slice(0, limit),
    insertRelayAttempt: async (row) => r.call(await relayRegion(row.relay_id), (s) => s.insertRelayAttempt(row)),
    updateRelayAttempt: async (relayId, position, set) => r.call(await relayRegion(relayId), (s) => s.updateRelayAttempt(relayId, position, set)),
    listRelayAttempts: async (ids) => (await r.gather(r.all, (s) => s.listRelayAttempts(ids))).flat(),
    countRelays: async (since, accountId) => {
      const by = new Map<string, number>();
      for (const c of (await r.gather(r.all, (s) => s.countRelays(since, accountId))).flat()) by.set(c.status, (by.get(c.status) ?? 0) + c.n);
      return [...by].map(([status, n]) => ({ status: status as RelayRow['status'], n }));
    },

    // Masks: in the region of their first proxy number; legs in their proxy's (where a
    // proxy's legs must be unique).
    insertMaskLeg: (row, now) => r.call(r.ofNumber(row.proxy), (s) => s.insertMaskLeg(row, now)),
    deleteMaskLegs: async (maskId) => { await r.each(r.all, (s) => s.deleteMaskLegs(maskId)); },
    insertMask: (row) => r.call(r.ofNumber(row.proxy_a), (s) => s.insertMask(row)),
    activeMaskLegs: async (participants, now) => (await r.gather(r.all, (s) => s.activeMaskLegs(participants, now))).flat(),
    findMask: async (proxy, participant, now) => (await r.gather(r.all, (s) => s.findMask(proxy, participant, now))).find(Boolean),
    getMask: (accountId, id) => r.find(id, (s) => s.getMask(accountId, id)),
    listMasks: async (f) => newestFirst(await r.gather(r.all, (s) => s.listMasks(f)), f.limit),
    endMask: (accountId, id, reason, now) => firstTrue((s) => s.endMask(accountId, id, reason, now)),
    expireMasks: async (now) => sum(await r.gather(r.working, (s) => s.expireMasks(now))),
    countMaskMessage: async (id, fromA, now) => { await r.gather(r.all, (s) => s.countMaskMessage(id, fromA, now)); },

    upsertConversation: (row) => r.call(r.ofNumber(row.business_number), (s) => s.upsertConversation(row)),
    getConversation: (accountId, id) => r.find(id, (s) => s.getConversation(accountId, id)),
    conversationTexts: async (c, limit) => {
      const all = await r.gather(r.all, (s) => s.conversationTexts(c, limit));
      return { sent: newestFirst(all.map((a) => a.sent), limit), received: newestFirst(all.map((a) => a.received), limit) };
    },
    lastSentOnPair: async (accountId, business, customer, since) => (await r.gather(r.all, (s) => s.lastSentOnPair(accountId, business, customer, since))).filter((x): x is string => !!x).sort().at(-1),

    getLookup: (n) => r.call(r.ofNumber(n), (s) => s.getLookup(n)),
    claimLookup: (n, owner, now, leaseMs) => r.call(r.ofNumber(n), (s) => s.claimLookup(n, owner, now, leaseMs)),
    putLookup: (row) => r.call(r.ofNumber(row.number), (s) => s.putLookup(row)),

    recordConsent: (rec) => r.call(r.ofNumber(rec.number), (s) => s.recordConsent(rec)),
    listConsent: (accountId, n) => r.call(r.ofNumber(n), (s) => s.listConsent(accountId, n)),
    // A number's opt-outs are written in its region, but one written before its country
    // moved stays where it was: every region is asked (the number's own must answer).
    listOptOuts: async (accountId, n) => {
      if (!n) return (await r.gather(r.all, (s) => s.listOptOuts(accountId))).flat();
      const own = r.ofNumber(n);
      const [mine, others] = await Promise.all([r.call(own, (s) => s.listOptOuts(accountId, n)), r.gather(r.all.filter((g) => g !== own), (s) => s.listOptOuts(accountId, n))]);
      return [...mine, ...others.flat()];
    },

    batchCounts: async (id) => {
      const out: Partial<Record<MessageStatus, number>> = {};
      for (const c of await r.each(r.all, (s) => s.batchCounts(id))) for (const [k, n] of Object.entries(c) as [MessageStatus, number][]) out[k] = (out[k] ?? 0) + n;
      return out;
    },
    batchFailures: async (id) => (await r.each(r.all, (s) => s.batchFailures(id))).flat(),

    appendEvents: async (rows) => {
      const about = rows.filter((e) => regionOfEvent(r, e));
      await Promise.all([
        about.length < rows.length ? r.home.appendEvents(rows.filter((e) => !regionOfEvent(r, e))) : undefined,
        r.splitDo(about, (e) => regionOfEvent(r, e)!, (s, part) => s.appendEvents(part)),
      ]);
    },
  };
}

/**
 * The region of an event's personal data: its message's; an inbound text's or a relay's
 * (their ids carry it); a number's (consent changes); none (the home store) for events
 * about configuration, providers and the like.
 */
function regionOfEvent(r: Regions, e: OutboxRow): Region | undefined {
  if (e.message_id) return r.ofId(e.message_id);
  if (e.subject.startsWith('+')) return r.ofNumber(e.subject);
  if (/^(inb|rly)_/.test(e.subject)) return r.ofId(e.subject);
  return undefined;
}
