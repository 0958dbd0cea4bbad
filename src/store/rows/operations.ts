// What operators read back: alert episodes, provider windows, reports and their rollups.
// All times are epoch milliseconds (numbers); JSON columns hold text.

/** One alert rule's episode state; only a state change fires a notification. */
export interface AlertRow {
  rule: string;
  state: 'ok' | 'firing';
  detail: string | null;
  fired_at: number | null;
  resolved_at: number | null;
  updated_at: number;
}

/** Attempts per provider since a time (the health window, from the ledger). */
export interface ProviderWindow {
  provider_id: string;
  sends: number;
  errors: number;
  failovers: number;
}

/** A final message as delivery reports see it. */
export interface ReportRow {
  account_id: string;
  provider_id: string | null;
  country: string | null;
  status: string;
  price: string | null;
  metadata: string | null;
  sent_at: number | null;
  final_at: number;
}

/** How long one report rollup covers: a minute, or an hour made of its minutes. */
export type RollupSpan = 'minute' | 'hour';

/**
 * One minute (or hour) of one account's messages, by provider, country and status: the
 * rollup that reports read instead of the ledger once it is settled (services/reports.ts).
 * `status` is a final status (messages that reached it in that span) or 'accepted'
 * (messages accepted in that span).
 */
export interface ReportRollupRow {
  /** epoch ms of the span's start */
  start: number;
  account_id: string;
  /** '' when none */
  provider_id: string;
  /** '' when unknown */
  country: string;
  status: string;
  n: number;
  /** the prices summed, in millionths of the currency unit */
  price_micros: number;
  /** delivered: send → delivery latencies, JSON {"<seconds, two significant figures>": count}; else null */
  latency: string | null;
}
