// The dry-run preview (POST /v1/messages/preview): the same body as a send, validated the
// same way, and nothing stored or sent. It answers what the send would cost and where it
// would go: encoding and segments, the characters that force UCS-2 and the GSM-7 text
// smart-encoding stand-ins would make (and what that saves), the routes in the order
// they would be tried with the price of each, the providers left out and why, and the
// verdicts that would stop it (opted out, no route, a landline by a cached lookup), and
// the carrier lookup and route rule where a send would use them. A request intake would refuse
// (a bad number, a sender the account may not use) is refused the same way.
import type { Caller, Intake, SendInput } from '../intake/accept-message.ts';
import type { Router } from '../routing/choose-route.ts';
import { countSegments, gsmAlternative, ucs2Characters } from '../domain/encoding.ts';
import { fromMicros, toMicros } from '../domain/money.ts';
import type { LookupCache } from '../store/store.ts';
import { networkOf } from '../routing/lookups.ts';

export async function previewSend(intake: Intake, router: Router, input: SendInput, caller: Caller, lookups?: Pick<LookupCache, 'getLookup'>) {
  const verdicts: { code: string; message: string }[] = [];
  const row = await intake.prepare(input, caller, undefined, { verdicts });
  // A send that would look the number up: the preview reads the cache only (a fresh lookup costs money).
  const wantsLookup = row.lookup === 1 || router.lookupWanted(row.country);
  const cached = wantsLookup && lookups ? await lookups.getLookup(row.to_number) : undefined;
  const known = cached && cached.line_type !== null ? cached : null;
  if (known?.line_type === 'landline') verdicts.push({ code: 'not_mobile', message: `the cached carrier lookup says ${row.to_number} is a landline` });
  const plan = await router.plan(row, Date.now(), { dryRun: true, network: networkOf(known) });
  if (!plan.ok) verdicts.push({ code: 'no_route', message: plan.reason });
  const routes = plan.ok ? plan.routes : [];
  const cost = (perSegment: string | null | undefined, segments: number) => (perSegment ? fromMicros(toMicros(perSegment) * segments) : null);
  const alt = row.encoding === 'UCS-2' ? gsmAlternative(row.body) : null;
  const altSeg = alt && alt.replacements.length > 0 ? countSegments(alt.body) : null;
  const best = routes.find((r) => r.price)?.price ?? null;
  return {
    to: row.to_number, from: row.requested_from, country: row.country,
    encoding: row.encoding, segments: row.segments, characters: [...row.body].length,
    ucs2_characters: row.encoding === 'UCS-2' ? ucs2Characters(row.body) : [],
    gsm7_alternative: alt && altSeg ? {
      body: alt.body, encoding: altSeg.encoding, segments: altSeg.segments, replacements: alt.replacements, still_ucs2: alt.remaining,
      saves_segments: row.segments - altSeg.segments, saves: best ? cost(best, row.segments - altSeg.segments) : null,
    } : null,
    routes: routes.map((r) => ({
      provider: r.provider.id, from: r.numbers.map((n) => n.number), price_per_segment: r.price ?? null, price: cost(r.price, row.segments),
      score: r.score !== undefined && Number.isFinite(r.score) ? r.score : null, circuit: r.circuit ?? 'closed',
    })),
    excluded: plan.excluded ?? [],
    ...(plan.ok && plan.rule ? { rule: plan.rule } : {}),
    ...(wantsLookup ? { lookup: known ? { cached: true, line_type: known.line_type, carrier: known.carrier, network: networkOf(known) ? `${known.mcc}-${known.mnc}` : null, ported: known.ported === null ? null : known.ported === 1 } : { cached: false, note: 'not looked up yet: a send would look it up before routing' } } : {}),
    verdicts,
    would_send: verdicts.length === 0,
    scheduled_for: row.send_at === null ? null : new Date(row.send_at).toISOString(),
  };
}
