// Carrier lookups before routing (issue 28): what line type a number is and which network
// it is on now (a ported number keeps its prefix but moves network). Asked of the first
// active provider that offers lookups, cached for SWITCHBOARD_LOOKUP_TTL_DAYS in the
// store, which every process shares; one number is looked up by one process at a time
// (a lease on its cache row; within a process, one promise), the others wait for its
// answer. A failed lookup is said so, and routing goes on by prefix and country.
import { randomBytes } from 'node:crypto';
import type { LookupCache, LookupRow } from '../store/store.ts';
import type { ProviderRegistry } from '../providers/registry.ts';
import type { Network } from './network.ts';

export interface LookupAnswer {
  /** the cached or fresh result; null when there is none (the lookup failed, or nobody offers one) */
  result: LookupRow | null;
  cached: boolean;
  error: string | null;
}

const LEASE_MS = 10_000;
const WAIT_MS = 5_000;
const TIMEOUT_MS = 5_000;

export class CarrierLookups {
  readonly #store: LookupCache;
  readonly #registry: Pick<ProviderRegistry, 'active'>;
  readonly #ttlMs: number;
  readonly #inflight = new Map<string, Promise<LookupAnswer>>();
  readonly #owner = randomBytes(6).toString('hex');

  constructor(o: { store: LookupCache; registry: Pick<ProviderRegistry, 'active'>; ttlMs: number }) {
    this.#store = o.store;
    this.#registry = o.registry;
    this.#ttlMs = o.ttlMs;
  }

  /** The number's lookup: from the cache while fresh, else asked (`refresh` asks whatever the cache holds). */
  lookup(number: string, now: number, refresh = false): Promise<LookupAnswer> {
    let p = this.#inflight.get(number);
    if (!p) {
      p = this.#lookup(number, now, refresh).finally(() => this.#inflight.delete(number));
      this.#inflight.set(number, p);
    }
    return p;
  }

  async #lookup(number: string, now: number, refresh: boolean): Promise<LookupAnswer> {
    const cached = await this.#store.getLookup(number);
    if (!refresh && fresh(cached, now)) return { result: cached!, cached: true, error: null };
    if (refresh && cached) await this.#store.putLookup({ ...cached, expires_at: now }); // stale now: claimable
    if (!(await this.#store.claimLookup(number, this.#owner, now, LEASE_MS))) return this.#await(number, now);
    const provider = this.#registry.active().find((p) => p.capabilities.lookup);
    const base: LookupRow = { number, provider_id: provider?.id ?? null, line_type: null, provider_type: null, carrier: null, mcc: null, mnc: null, ported: null, price: null, error: null, looked_up_at: now, expires_at: null, lease_owner: null, lease_until: null };
    if (!provider) {
      await this.#store.putLookup({ ...base, error: 'no active provider offers carrier lookups' });
      return { result: null, cached: false, error: 'no active provider offers carrier lookups' };
    }
    try {
      const r = await provider.capabilities.lookup!.lookupNumber(number, AbortSignal.timeout(TIMEOUT_MS));
      const row: LookupRow = {
        ...base, line_type: r.lineType, provider_type: r.providerType, carrier: r.carrier, mcc: r.mcc, mnc: r.mnc,
        ported: r.ported === null ? null : r.ported ? 1 : 0, price: r.price, looked_up_at: Date.now(), expires_at: Date.now() + this.#ttlMs,
      };
      await this.#store.putLookup(row);
      return { result: row, cached: false, error: null };
    } catch (err) {
      const error = `lookup through ${provider.id} failed: ${(err as Error).message}`;
      await this.#store.putLookup({ ...base, error });
      return { result: null, cached: false, error };
    }
  }

  /** Another process holds the number's lease: its answer, once written (or the wait gives up). */
  async #await(number: string, now: number): Promise<LookupAnswer> {
    const until = Date.now() + WAIT_MS;
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
      const row = await this.#store.getLookup(number);
      if (fresh(row, now)) return { result: row!, cached: true, error: null };
      if (row && row.lease_until === null && row.error) return { result: null, cached: true, error: row.error };
    }
    return { result: null, cached: false, error: 'another process is looking this number up and has not answered' };
  }
}

function fresh(row: LookupRow | undefined, now: number): boolean {
  return !!row && row.line_type !== null && row.expires_at !== null && row.expires_at > now;
}

/** The network a lookup found, when it names one. */
export function networkOf(row: LookupRow | null): Network | null {
  return row?.mcc && row.mnc ? { mcc: row.mcc, mnc: row.mnc } : null;
}
