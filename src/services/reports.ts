// Delivery reports and recent activity, for GET /v1/reports/* and the dashboard. Both read
// index ranges (messages final within the range, messages accepted since a time: ids are
// time-ordered), so they cost what the range holds, not what the ledger holds; grouping,
// prices and latency percentiles are computed here.
import { AppError } from '../domain/errors.ts';
import type { MessageLedger, ReportRow } from '../store/store.ts';

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
  const at = (v: string | undefined, field: string, def: number) => {
    if (v === undefined) return def;
    const t = Date.parse(v);
    if (Number.isNaN(t)) throw new AppError('validation_error', `${field} must be an ISO-8601 time`, { field });
    return t;
  };
  const u = at(until, 'until', now);
  const s = at(since, 'since', u - 86_400_000);
  if (s >= u) throw new AppError('validation_error', 'since must be before until', { field: 'since' });
  if (u - s > MAX_REPORT_DAYS * 86_400_000) throw new AppError('validation_error', `a report covers at most ${MAX_REPORT_DAYS} days`, { field: 'since' });
  return { since: s, until: u };
}

function keyOf(r: ReportRow, g: GroupBy): string {
  if (g === 'provider') return r.provider_id ?? '(none)';
  if (g === 'country') return r.country ?? '(unknown)';
  if (g === 'day') return new Date(r.final_at).toISOString().slice(0, 10);
  const field = g.slice('metadata.'.length);
  try {
    const v = (JSON.parse(r.metadata ?? 'null') as Record<string, unknown> | null)?.[field];
    return typeof v === 'string' ? v : '(none)';
  } catch { return '(none)'; }
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/** Final messages in the range grouped: counts by final status, delivery rate, price, send→final latency. */
export async function deliveryReport(store: MessageLedger, opts: { groupBy: GroupBy; since: number; until: number; accountId?: string }): Promise<ReportGroup[]> {
  const rows = await store.finalMessages(opts.since, opts.until, opts.accountId, opts.groupBy.startsWith('metadata.'));
  const groups = new Map<string, { rows: number; by: Record<string, number>; micros: bigint; latencies: number[] }>();
  for (const r of rows) {
    const k = keyOf(r, opts.groupBy);
    let g = groups.get(k);
    if (!g) { g = { rows: 0, by: {}, micros: 0n, latencies: [] }; groups.set(k, g); }
    g.rows++;
    g.by[r.status] = (g.by[r.status] ?? 0) + 1;
    if (r.price && /^\d+(\.\d{1,6})?$/.test(r.price)) {
      const [whole, frac = ''] = r.price.split('.');
      g.micros += BigInt(whole) * 1_000_000n + BigInt(frac.padEnd(6, '0'));
    }
    if (r.sent_at !== null && r.status === 'delivered') g.latencies.push((r.final_at - Number(r.sent_at)) / 1000);
  }
  return [...groups.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([key, g]) => {
    const final = (g.by.delivered ?? 0) + (g.by.undelivered ?? 0) + (g.by.failed ?? 0) + (g.by.expired ?? 0);
    const lat = g.latencies.sort((a, b) => a - b);
    const micros = g.micros.toString().padStart(7, '0');
    return {
      key, total: g.rows, by_status: g.by,
      delivery_rate: final > 0 ? (g.by.delivered ?? 0) / final : null,
      price_total: `${micros.slice(0, -6)}.${micros.slice(-6, -2)}`,
      latency_p50_seconds: percentile(lat, 0.5), latency_p95_seconds: percentile(lat, 0.95),
    };
  });
}

export function reportCsv(groups: ReportGroup[], groupBy: string): string {
  const statuses = ['delivered', 'undelivered', 'failed', 'expired', 'canceled'];
  const cell = (v: unknown) => { const s = v === null || v === undefined ? '' : String(v); return /[",\n]/.test(s) || /^[=+\-@]/.test(s) ? `"${s.replace(/^([=+\-@])/, "'$1").replace(/"/g, '""')}"` : s; };
  const head = [groupBy, 'total', ...statuses, 'delivery_rate', 'price_total', 'latency_p50_seconds', 'latency_p95_seconds'];
  const lines = groups.map((g) => [g.key, g.total, ...statuses.map((s) => g.by_status[s] ?? 0), g.delivery_rate === null ? '' : g.delivery_rate.toFixed(4), g.price_total, g.latency_p50_seconds, g.latency_p95_seconds].map(cell).join(','));
  return [head.join(','), ...lines].join('\n') + '\n';
}

/** Per minute over the last `minutes`: accepted, delivered, failed (undelivered, failed and expired). */
export async function activity(store: MessageLedger, opts: { minutes: number; accountId?: string; now?: number }): Promise<{ minute: string; accepted: number; delivered: number; failed: number }[]> {
  const now = opts.now ?? Date.now();
  const start = Math.floor(now / 60_000) * 60_000 - (opts.minutes - 1) * 60_000;
  const buckets = Array.from({ length: opts.minutes }, (_, i) => ({ minute: new Date(start + i * 60_000).toISOString(), accepted: 0, delivered: 0, failed: 0 }));
  const at = (t: number) => buckets[Math.floor((t - start) / 60_000)];
  for (const t of await store.acceptedSince(start, opts.accountId)) { const b = at(t); if (b) b.accepted++; }
  for (const r of await store.finalMessages(start, now + 1, opts.accountId)) {
    const b = at(r.final_at);
    if (!b) continue;
    if (r.status === 'delivered') b.delivered++;
    else if (r.status !== 'canceled') b.failed++;
  }
  return buckets;
}
