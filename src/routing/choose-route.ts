// Chooses (provider, from) for one send. Today: the caller's `from` if it names one,
// otherwise the first active provider by priority with its default sender; the next
// candidates in order are what failover and retries move on to.
import type { MessageRow } from '../store/store.ts';
import type { ProviderEntry, ProviderRegistry } from '../providers/registry.ts';
import { priceFor } from '../domain/money.ts';

export interface Route { provider: ProviderEntry; from: string }

export function candidates(registry: ProviderRegistry, message: Pick<MessageRow, 'requested_from'>): Route[] {
  const out: Route[] = [];
  for (const p of registry.active()) {
    const from = message.requested_from ?? p.defaultFrom;
    if (from) out.push({ provider: p, from });
  }
  return out;
}

/** The price the first candidate would charge, shown at intake. */
export function quote(registry: ProviderRegistry, country: string | null, segments: number): string | null {
  const first = registry.active()[0];
  return first ? priceFor(first.prices, country ?? undefined, segments) : null;
}
