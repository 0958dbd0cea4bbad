// The crash window's resend check, before a message whose earlier claim ended mid-send is
// sent again: the providers that can be asked by our reference are asked whether they
// already have it.
import type { Logger } from 'pino';
import type { MessageRow } from '../store/store.ts';
import type { Metrics } from '../metrics.ts';
import type { Route } from '../routing/choose-route.ts';
import { priceFor } from '../domain/money.ts';
import type { Attempted } from './run.ts';

export interface ResendCheckDeps { timeoutMs: number; metrics: Pick<Metrics, 'resendChecks'>; log: Pick<Logger, 'info' | 'warn'> }

/**
 * The crash window: this message's previous claim ended without an outcome (its worker
 * died or shut down mid-send), so a provider may already have it. Every provider in
 * the plan that can be asked by our reference is asked; one that has it makes this the
 * attempt that sent it, and nothing is sent again. Providers that cannot be asked, or
 * a lookup that fails, leave it at least once (README, Guarantees).
 */
export async function earlierSend(row: MessageRow, routes: Route[], deps: ResendCheckDeps): Promise<Attempted | null> {
  const asked = new Set<string>();
  for (const route of routes) {
    const p = route.provider;
    const lookup = p.capabilities.sent;
    if (asked.has(p.id) || !lookup) continue;
    asked.add(p.id);
    const started = Date.now();
    try {
      const found = await lookup.findSent({ messageId: row.id, to: row.to_number, since: row.created_at }, AbortSignal.timeout(deps.timeoutMs));
      deps.metrics.resendChecks.inc({ provider: p.id, found: found ? 'yes' : 'no' });
      if (!found) continue;
      deps.log.info({ message: row.id, provider: p.id }, 'the provider already had this message; not sending it again');
      const price = priceFor(p.prices, row.country ?? undefined, row.segments);
      return {
        route: { providerId: p.id, from: found.from ?? route.numbers[0]?.number ?? '', simulated: p.simulated },
        result: { ok: true, parts: found.parts, ...(price !== null ? { price } : {}) }, started, finished: Date.now(),
      };
    } catch (err) {
      deps.metrics.resendChecks.inc({ provider: p.id, found: 'unknown' });
      deps.log.warn({ message: row.id, provider: p.id, err: (err as Error).message }, 'could not ask the provider whether it has this message; sending it again (at least once)');
    }
  }
  return null;
}
