// Delivery reports and recent activity, for GET /v1/reports/* and the dashboard. Both read
// settled hours and minutes from rollups and only the unsettled edges of their range from
// the ledger (see "Rollups" below), so a report of a busy day costs what a day holds in
// hours and minutes, not in messages; grouping by a metadata key reads the ledger's index range.
// Grouping, prices and latency percentiles (to two significant figures) are computed here.
import { parseIsoTime } from '../domain/time.ts';
import { csvRows } from '../domain/csv.ts';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { AppError } from '../domain/errors.ts';
import type { MessageLedger, ReportRollupRow, ReportRollups, ReportRow, RollupSpan } from '../store/store.ts';

export type GroupBy = 'provider' | 'country' | 'day' | `metadata.${string}`;

export interface ReportGroup {
  key: string;
  total: number;
  by_status: Record<string, number>;
  delivery_rate: number | null;
  price_total: string;
  latency_p50_seconds: number | null;
  latency_p95_seconds: number | null;
}

/** The longest range one report may cover. */
export const MAX_REPORT_DAYS = 93;

export function parseGroupBy(v: string | undefined): GroupBy {
  const g = v ?? 'provider';
  if (g === 'provider' || g === 'country' || g === 'day') return g;
  if (/^metadata\.[A-Za-z0-9_.-]{1,64}$/.test(g)) return g as GroupBy;
  throw new AppError('validation_error', 'group_by must be provider, country, day or metadata.<key>', { field: 'group_by' });
}

/** `since`/`until` (ISO-8601; default: the last 24 hours) → a checked range. */
export function parseRange(since: string | undefined, until: string | undefined, now = Date.now()): { since: number; until: number } {
  const u = parseIsoTime(until, 'until') ?? now;
  const s = parseIsoTime(since, 'since') ?? u - 86_400_000;
  if (s >= u) throw new AppError('validation_error', 'since must be before until', { field: 'since' });
  if (u - s > MAX_REPORT_DAYS * 86_400_000) throw new AppError('validation_error', `a report covers at most ${MAX_REPORT_DAYS} days`, { field: 'since' });
  return { since: s, until: u };
}

/** The group of a message by `metadata.<key>`: that key's value, or '(none)'. */
function metadataKey(r: ReportRow, g: GroupBy): string {
  const field = g.slice('metadata.'.length);
  try {
    const v = (JSON.parse(r.metadata ?? 'null') as Record<string, unknown> | null)?.[field];
    return typeof v === 'string' ? v : '(none)';
  } catch { return '(none)'; }
}

/** The p-quantile of values given as value → count (the smallest value with at least p of them at or below it). */
function percentile(counts: Map<number, number>, p: number): number | null {
  let total = 0;
  for (const n of counts.values()) total += n;
  if (total === 0) return null;
  const rank = Math.min(total, Math.max(1, Math.ceil(p * total)));
  let seen = 0;
  for (const [v, n] of [...counts.entries()].sort((a, b) => a[0] - b[0])) {
    seen += n;
    if (seen >= rank) return v;
  }
  return null;
}

/** Final messages in the range grouped: counts by final status, delivery rate, price, send→final latency. */
export async function deliveryReport(store: Reports, opts: { groupBy: GroupBy; since: number; until: number; accountId?: string; now?: number }): Promise<ReportGroup[]> {
  const groups = new Map<string, { rows: number; by: Record<string, number>; micros: bigint; latencies: Map<number, number> }>();
  const add = (k: string, t: Tally) => {
    let g = groups.get(k);
    if (!g) { g = { rows: 0, by: {}, micros: 0n, latencies: new Map() }; groups.set(k, g); }
    g.rows += t.n;
    g.by[t.status] = (g.by[t.status] ?? 0) + t.n;
    g.micros += t.micros;
    addCounts(g.latencies, t.latency);
  };
  if (opts.groupBy.startsWith('metadata.')) {
    // Any key of any message's metadata: no rollup holds it, so this reads the ledger.
    for (const r of await store.finalMessages(opts.since, opts.until, opts.accountId, true)) add(metadataKey(r, opts.groupBy), tallyOf(r));
  } else {
    for (const t of await tallies(store, opts.since, opts.until, opts.accountId, opts.now ?? Date.now(), false, 'hour')) add(tallyKey(t, opts.groupBy), t);
  }
  return [...groups.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([key, g]) => {
    const final = (g.by.delivered ?? 0) + (g.by.undelivered ?? 0) + (g.by.failed ?? 0) + (g.by.expired ?? 0);
    const micros = g.micros.toString().padStart(7, '0');
    return {
      key, total: g.rows, by_status: g.by,
      delivery_rate: final > 0 ? (g.by.delivered ?? 0) / final : null,
      price_total: `${micros.slice(0, -6)}.${micros.slice(-6, -2)}`,
      latency_p50_seconds: percentile(g.latencies, 0.5), latency_p95_seconds: percentile(g.latencies, 0.95),
    };
  });
}

export function reportCsv(groups: ReportGroup[], groupBy: string): string {
  const statuses = ['delivered', 'undelivered', 'failed', 'expired', 'canceled'];
  const head = [groupBy, 'total', ...statuses, 'delivery_rate', 'price_total', 'latency_p50_seconds', 'latency_p95_seconds'];
  const lines = groups.map((g) => [g.key, g.total, ...statuses.map((s) => g.by_status[s] ?? 0), g.delivery_rate === null ? '' : g.delivery_rate.toFixed(4), g.price_total, g.latency_p50_seconds, g.latency_p95_seconds]);
  return csvRows([head, ...lines]);
}

/** Per minute over the last `minutes`: accepted, delivered, failed (undelivered, failed and expired). */
export async function activity(store: Reports, opts: { minutes: number; accountId?: string; now?: number }): Promise<{ minute: string; accepted: number; delivered: number; failed: number }[]> {
  const now = opts.now ?? Date.now();
  const start = Math.floor(now / MINUTE) * MINUTE - (opts.minutes - 1) * MINUTE;
  const buckets = Array.from({ length: opts.minutes }, (_, i) => ({ minute: new Date(start + i * MINUTE).toISOString(), accepted: 0, delivered: 0, failed: 0 }));
  for (const t of await tallies(store, start, now + 1, opts.accountId, now, true, 'minute')) {
    const b = buckets[Math.floor((t.start - start) / MINUTE)];
    if (!b) continue;
    if (t.status === 'accepted') b.accepted += t.n;
    else if (t.status === 'delivered') b.delivered += t.n;
    else if (t.status !== 'canceled') b.failed += t.n;
  }
  return buckets;
}

// Rollups. A report reads each settled minute of its range from its rollup (whole hours
// from the hour's rollup, made of its minutes, when the report needs no finer grain),
// rolling each up the first time any report asks for it, and only the unsettled edges
// from the ledger: its cost follows the hours, minutes and groups in its range, not the
// messages. A minute settles SETTLE_MS after it ends: final_at is the time the status was
// written, so by then every write that can land in it has committed (the margin also
// covers clocks that differ between processes).

const MINUTE = 60_000;
const HOUR = 3_600_000;
const SETTLE_MS = 120_000;

type Reports = Pick<MessageLedger, 'finalMessages' | 'acceptedIn'> & ReportRollups;

/** A rollup row at work: prices summed exactly, latencies as seconds → how many (a ledger row is a tally of one). */
interface Tally extends Omit<ReportRollupRow, 'price_micros' | 'latency'> {
  micros: bigint;
  latency: Map<number, number>;
}

/** Adds the counts of `from` (value → how many) into `into`. */
function addCounts(into: Map<number, number>, from: Map<number, number>): void {
  for (const [v, n] of from) into.set(v, (into.get(v) ?? 0) + n);
}

/** Latencies are kept to two significant figures, so a minute's spread fits in a few numbers. */
const quantize = (seconds: number): number => (seconds <= 0 ? 0 : Number(seconds.toPrecision(2)));

function priceMicros(price: string | null): bigint {
  if (!price || !/^\d+(\.\d{1,6})?$/.test(price)) return 0n;
  const [whole, frac = ''] = price.split('.');
  return BigInt(whole) * 1_000_000n + BigInt(frac.padEnd(6, '0'));
}

function tallyOf(r: ReportRow): Tally {
  const latency = new Map<number, number>();
  if (r.sent_at !== null && r.status === 'delivered') latency.set(quantize((r.final_at - Number(r.sent_at)) / 1000), 1);
  return {
    start: Math.floor(r.final_at / MINUTE) * MINUTE, account_id: r.account_id, provider_id: r.provider_id ?? '', country: r.country ?? '',
    status: r.status, n: 1, micros: priceMicros(r.price), latency,
  };
}

const acceptedTally = (a: { account_id: string; created_at: number }): Tally =>
  ({ start: Math.floor(a.created_at / MINUTE) * MINUTE, account_id: a.account_id, provider_id: '', country: '', status: 'accepted', n: 1, micros: 0n, latency: new Map() });

function tallyKey(t: Tally, g: GroupBy): string {
  if (g === 'provider') return t.provider_id || '(none)';
  if (g === 'country') return t.country || '(unknown)';
  return new Date(t.start).toISOString().slice(0, 10);
}

/** Tallies merged per (span start, account, provider, country, status): a span's rollup rows. */
function rollupRows(tallies: Tally[], startOf: (t: Tally) => number): ReportRollupRow[] {
  const merged = new Map<string, Tally>();
  for (const t of tallies) {
    const start = startOf(t);
    const k = `${start}\u0000${t.account_id}\u0000${t.provider_id}\u0000${t.country}\u0000${t.status}`;
    const m = merged.get(k);
    if (!m) { merged.set(k, { ...t, start, latency: new Map(t.latency) }); continue; }
    m.n += t.n;
    m.micros += t.micros;
    addCounts(m.latency, t.latency);
  }
  return [...merged.values()].map((t) => ({
    start: t.start, account_id: t.account_id, provider_id: t.provider_id, country: t.country, status: t.status, n: t.n,
    price_micros: Number(t.micros), latency: t.latency.size > 0 ? JSON.stringify(Object.fromEntries(t.latency)) : null,
  }));
}

const fromRollup = (r: ReportRollupRow): Tally => ({
  start: r.start, account_id: r.account_id, provider_id: r.provider_id, country: r.country, status: r.status, n: r.n,
  micros: BigInt(r.price_micros), latency: new Map(Object.entries(JSON.parse(r.latency ?? '{}') as Record<string, number>).map(([v, n]) => [Number(v), n])),
});

/** Per store, the rollup under way: the next waits for it, then finds what it did done (two dashboards opening together read the day once). */
const rolling = new WeakMap<Reports, Promise<unknown>>();

/** Rolls up the `span`s in [from, to) not rolled up yet (every account's): minutes from the ledger, hours from their minutes. */
function rollUp(store: Reports, span: RollupSpan, from: number, to: number, now: number, stopping = () => false): Promise<void> {
  const run = (rolling.get(store) ?? Promise.resolve()).then(() => rollUpNow(store, span, from, to, now, stopping));
  rolling.set(store, run.catch(() => undefined));
  return run;
}

async function rollUpNow(store: Reports, span: RollupSpan, from: number, to: number, now: number, stopping: () => boolean): Promise<void> {
  const step = span === 'hour' ? HOUR : MINUTE;
  const done = new Set(await store.rolledUp(span, from, to));
  const missing: number[] = [];
  for (let m = from; m < to; m += step) if (!done.has(m)) missing.push(m);
  // An hour of minutes at a time (read from the ledger), or one hour (made of its minutes),
  // letting other work run in between.
  const chunk = span === 'hour' ? 1 : 60;
  for (let i = 0; i < missing.length;) {
    let j = i;
    while (j + 1 < missing.length && missing[j + 1] === missing[j] + step && j + 1 - i < chunk) j++;
    const [start, end] = [missing[i], missing[j] + step];
    if (span === 'minute') {
      const tallies = (await store.finalMessages(start, end)).map(tallyOf);
      for (const a of await store.acceptedIn(start, end)) tallies.push(acceptedTally(a));
      await store.saveRollups('minute', missing.slice(i, j + 1), rollupRows(tallies, (t) => t.start), now);
    } else {
      await rollUpNow(store, 'minute', start, end, now, stopping);
      const minutes = (await store.rollups('minute', start, end)).map(fromRollup);
      await store.saveRollups('hour', [start], rollupRows(minutes, () => start), now);
    }
    i = j + 1;
    if (i < missing.length) await yieldToLoop();
    if (stopping()) return;
  }
}

/**
 * Rolls up every settled minute and hour of the last day not rolled up yet: run once a
 * minute by worker processes, so the dashboard's first look at a busy day finds it done.
 */
export async function rollUpSettled(store: Reports, now: number, stopping?: () => boolean): Promise<void> {
  const end = Math.floor((now - SETTLE_MS) / MINUTE) * MINUTE;
  await rollUp(store, 'minute', end - 1_440 * MINUTE, end, now, stopping);
  const hours = Math.floor(end / HOUR) * HOUR;
  await rollUp(store, 'hour', hours - 24 * HOUR, hours, now, stopping);
}

/**
 * What [since, until) holds, as tallies: settled whole minutes from their rollups (whole
 * hours from theirs, with `grain` 'hour'), the rest (a partial first or last minute,
 * minutes not yet settled) from the ledger. `accepted`: also messages accepted in the
 * range (status 'accepted'). A tally's start is its minute, or its hour.
 */
async function tallies(store: Reports, since: number, until: number, accountId: string | undefined, now: number, accepted: boolean, grain: RollupSpan): Promise<Tally[]> {
  const out: Tally[] = [];
  const fromLedger = async (s: number, u: number) => {
    if (u <= s) return;
    for (const r of await store.finalMessages(s, u, accountId)) out.push(tallyOf(r));
    if (accepted) for (const a of await store.acceptedIn(s, u, accountId)) out.push(acceptedTally(a));
  };
  const fromRollups = async (span: RollupSpan, s: number, u: number) => {
    if (u <= s) return;
    await rollUp(store, span, s, u, now);
    for (const r of await store.rollups(span, s, u, accountId)) if (accepted || r.status !== 'accepted') out.push(fromRollup(r));
  };
  const first = Math.ceil(since / MINUTE) * MINUTE;
  const end = Math.min(Math.floor(until / MINUTE) * MINUTE, Math.floor((now - SETTLE_MS) / MINUTE) * MINUTE);
  if (end <= first) {
    await fromLedger(since, until);
    return out;
  }
  const [hoursFrom, hoursTo] = [Math.ceil(first / HOUR) * HOUR, Math.floor(end / HOUR) * HOUR];
  if (grain === 'hour' && hoursTo > hoursFrom) {
    await fromRollups('minute', first, hoursFrom);
    await fromRollups('hour', hoursFrom, hoursTo);
    await fromRollups('minute', hoursTo, end);
  } else {
    await fromRollups('minute', first, end);
  }
  await fromLedger(since, first);
  await fromLedger(end, until);
  return out;
}
