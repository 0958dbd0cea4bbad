// Pure helpers of the send worker: the routing explanation kept with an attempt, and what
// a message row carries for the send (a failover drill's target, a call's voice).
import type { MessageRow } from '../store/store.ts';
import type { Excluded, Route } from '../routing/choose-route.ts';
import type { LookupAnswer } from '../routing/lookups.ts';

/** The routing explanation stored with a claim's last attempt (compact; see AttemptRow.route_explanation). */
export function explain(routes: Route[], excluded: Excluded[], notes: Map<string, string>, below: { lookup?: LookupAnswer | null; rule?: string } = {}): string {
  const l = below.lookup;
  return JSON.stringify({
    // The carrier lookup, when one was made: [cached, line type, carrier, "mcc-mnc", ported, error]
    ...(l ? { l: [l.cached ? 1 : 0, l.result?.line_type ?? null, l.result?.carrier ?? null, l.result?.mcc ? `${l.result.mcc}-${l.result.mnc}` : null, l.result?.ported ?? null, l.error] } : {}),
    // The route rule that matched, and each route's price entry when it was more specific than the country
    ...(below.rule ? { r: below.rule } : {}),
    ...(routes.some((r) => r.priceKey) ? { k: Object.fromEntries(routes.filter((r) => r.priceKey).map((r) => [r.provider.id, r.priceKey])) } : {}),
    c: routes.map((r) => {
      let note = notes.get(r.provider.id) ?? 'not needed';
      if (note === 'not needed' && r.circuit === 'open') note = 'placed last: circuit open';
      else if (note === 'not needed' && r.demoted === 'delivery') note = 'placed after healthy routes: delivery rate below the minimum';
      else if (note === 'not needed' && r.demoted === 'latency') note = 'placed after healthy routes: most receipts overdue';
      return [r.provider.id, r.price ?? null, r.score === undefined || !Number.isFinite(r.score) ? null : r.score, r.circuit ?? 'closed', note];
    }),
    x: excluded.map((e) => [e.provider, e.reason]),
  });
}

/** The provider a failover drill marks failing for this message (metadata.switchboard_drill_fail), if any. */
export function drilledProvider(row: Pick<MessageRow, 'metadata'>): string | undefined {
  if (!row.metadata?.includes('switchboard_drill_fail')) return undefined;
  try {
    const v = (JSON.parse(row.metadata) as Record<string, unknown>).switchboard_drill_fail;
    return typeof v === 'string' ? v : undefined;
  } catch { return undefined; }
}

/** A call's voice and language (MessageRow.voice_options). */
export function voiceOptions(row: Pick<MessageRow, 'voice_options'>): { voice?: string; language?: string } {
  try {
    const o = JSON.parse(row.voice_options ?? '{}') as { voice?: unknown; language?: unknown };
    return { ...(typeof o.voice === 'string' ? { voice: o.voice } : {}), ...(typeof o.language === 'string' ? { language: o.language } : {}) };
  } catch { return {}; }
}
