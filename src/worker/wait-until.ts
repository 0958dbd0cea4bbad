// When a message waiting for a route is next due, and when a message expires.
import type { Config } from '../config.ts';
import type { MessageRow } from '../store/store.ts';
import type { Route } from '../routing/choose-route.ts';
import type { Health } from '../routing/health.ts';

/** How often a message waiting for a session to rebind, or for a half-open probe's answer, looks again. */
const SESSION_RECHECK_MS = 1_000;

type WaitConfig = Pick<Config, 'backoffBaseMs' | 'outageRetryMaxMs' | 'defaultValiditySeconds'>;

/**
 * When a waiting message is next due: the earliest moment one of `routes` may take
 * traffic again (its circuit's half-open time; a second while a probe is out or a
 * session rebinds), or, for a provider failing with its circuit still closed, a backoff
 * that grows with the message's age up to SWITCHBOARD_OUTAGE_RETRY_MAX_MS. Spread by a
 * little jitter so a backlog does not come due at one instant, and never past the
 * message's validity period, when it expires.
 */
export function waitUntil(row: MessageRow, routes: Route[], now: number, health: Pick<Health, 'reopensAt' | 'probing'>, config: WaitConfig): number {
  const { backoffBaseMs, outageRetryMaxMs } = config;
  const backoff = Math.min(outageRetryMaxMs, Math.max(backoffBaseMs, (now - (row.send_at ?? row.created_at)) / 4));
  let at = Infinity;
  for (const r of routes) {
    const id = r.provider.id;
    const reopens = health.reopensAt(id, now);
    const ready = r.provider.capabilities.sessions?.ready() ?? true;
    const t = !ready ? now + Math.min(backoff, SESSION_RECHECK_MS)
      : reopens !== null ? reopens
      : health.probing(id) ? now + Math.min(backoff, SESSION_RECHECK_MS)
      : now + backoff;
    at = Math.min(at, t);
  }
  if (at === Infinity) at = now + backoff;
  at += Math.random() * Math.min(1_000, backoff / 2);
  const ends = expiry(row, config);
  return Math.max(now + 1, Math.round(ends === null ? at : Math.min(at, ends)));
}

/** When the message expires: its validity period, or SWITCHBOARD_DEFAULT_VALIDITY_SECONDS after it was due (0: never). */
export function expiry(row: MessageRow, config: Pick<Config, 'defaultValiditySeconds'>): number | null {
  if (row.expires_at !== null) return row.expires_at;
  const s = config.defaultValiditySeconds;
  return s > 0 ? (row.send_at ?? row.created_at) + s * 1000 : null;
}
