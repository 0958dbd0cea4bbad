// What one claim of a message did: the routes it tried, in order, and how each went.
import type { AttemptRow } from '../store/store.ts';
import type { SendOutcome } from '../providers/provider.ts';
import type { Route } from '../routing/choose-route.ts';
import type { RouteUsed } from './outcome.ts';

/** The routes a run never reached (its failover budget ran out first). */
export function untried(routes: Route[], run: Run): Route[] {
  return run.last && !run.last.result.ok ? routes.filter((r) => run.notes.get(r.provider.id) === 'not needed') : [];
}

export interface Attempted { route: RouteUsed; result: SendOutcome; started: number; finished: number }
export interface Run {
  /** what happened to each route this claim considered, by provider (the routing explanation) */
  notes: Map<string, string>;
  /** the run's last attempt (null when nothing was sent) */
  last: Attempted | null;
  /** the attempts before it, each of which failed over */
  failed: AttemptRow[];
  /** routes that cannot take traffic now (circuit open, probe out, not connected, or failed as a provider): the message may wait for one */
  waitable: Route[];
  /** when every number was at its rate limit: how long until one frees up */
  limitedWaitMs: number;
}

