// Chooses (provider, from) for each send. The order of the rules:
//   1. an explicit `from` is honoured: its provider is used, or the send is refused;
//   2. compliance: the destination country's rule (local number required, alphanumeric
//      senders forbidden, only listed providers);
//   3. capability: the number's type and country (numbers.ts);
//   4. health: a provider whose circuit is open goes to the back (the worker holds it back
//      until it half-opens), one demoted for its delivery rate or its receipts' latency
//      just before it (used only if nothing healthy is left);
//   5. score: price per segment × segments, raised by a poor recent delivery rate
//      (× (1 + weight × (1 − delivery rate))); then the provider's priority;
//   6. ties go round-robin, and numbers within a provider rotate too;
//   7. sticky sender: a recipient keeps the `from` it last got while that number is a candidate.
// Below the country (network.ts): a route rule for the destination's network (from a
// carrier lookup) or its longest prefix keeps only its providers, in its order after
// health; a provider's price is its most specific entry (network, prefix, country, "*").
// Rules 1–3 depend only on records, so their result is cached per (account, country, from)
// and dropped whenever a record changes; 4–7 are applied per decision and cost microseconds.
import type { Logger } from 'pino';
import type { CountryRuleRow, MessageLedger, MessageRow, RecordStore } from '../store/store.ts';
import type { ProviderEntry, ProviderRegistry } from '../providers/registry.ts';
import { fromMicros, toMicros } from '../domain/money.ts';
import { DEFAULT_ACCOUNT } from '../domain/actor.ts';
import type { CircuitState, DemotionReason, Health } from './health.ts';
import { fromRow, implicitNumber, refusal, type NumberEntry } from './numbers.ts';
import { compile, keyKind, lookupCompiled, type Compiled, type Network, type RouteRule } from './network.ts';

/** What this needs of the store. */
export type RoutingStore = Pick<RecordStore, 'listCountryRules' | 'listNumbers' | 'listRouteRules'> & Pick<MessageLedger, 'lastSender'>;

/**
 * One route to try, with why it sits where it does: its price per segment, its score
 * (price × segments, raised by a poor delivery rate; lower is better) and its circuit.
 */
type Channel = 'sms' | 'voice';

export interface Route { provider: ProviderEntry; numbers: NumberEntry[]; price?: string | null; score?: number; circuit?: CircuitState; demoted?: DemotionReason | null; priceKey?: string }

/** A provider routing left out before scoring, and why (compliance, capability, no number). */
export interface Excluded { provider: string; reason: string }

export type Plan = { ok: true; routes: Route[]; excluded: Excluded[]; rule?: string } | { ok: false; reason: string; excluded?: Excluded[] };

interface Candidate { provider: ProviderEntry; micros: number; numbers: NumberEntry[]; rr: number; specific: boolean }
type Base = { ok: true; candidates: Candidate[]; rr: number; excluded: Excluded[] } | { ok: false; reason: string; excluded?: Excluded[] };

const STICKY_MAX = 100_000;

export class Router {
  readonly #registry: ProviderRegistry;
  readonly #store: RoutingStore;
  readonly #health: Health;
  readonly #weight: number;
  readonly #log: Logger;
  #numbers: NumberEntry[] = [];
  #byNumber = new Map<string, NumberEntry>();
  #rules = new Map<string, CountryRuleRow>();
  #routeRules: Compiled<RouteRule> = compile([]);
  /** each price list's entries by network and prefix, compiled (network.ts), by the list object (a changed record makes a new one) */
  #specificPrices = new WeakMap<object, Compiled<string>>();
  #signature = '';
  /** the active providers as of the last refresh (see refresh) */
  #providers: readonly ProviderEntry[] = [];
  #cache = new Map<string, Base>();
  readonly #sticky = new Map<string, string>();

  constructor(opts: { registry: ProviderRegistry; store: RoutingStore; health: Health; deliveryWeight: number; logger: Logger }) {
    this.#registry = opts.registry;
    this.#store = opts.store;
    this.#health = opts.health;
    this.#weight = opts.deliveryWeight;
    this.#log = opts.logger;
  }

  /** Loads providers, numbers and country rules; other processes' changes come through services/config-watch.ts. */
  async start(): Promise<void> {
    await this.refresh();
  }

  /** Re-reads the records; cached decisions are dropped if anything changed. */
  async refresh(): Promise<void> {
    await this.#registry.refresh();
    const [numbers, rules, routeRules] = await Promise.all([this.#store.listNumbers(), this.#store.listCountryRules(), this.#store.listRouteRules()]);
    // Routing reads its own snapshot of the providers, taken with the numbers and rules in one
    // step: a decision never sees a new provider without its numbers (and fails as `no_route`).
    const providers = this.#registry.active();
    // A rebuilt adapter (its record changed) is a new entry: cached routes must not keep the closed one.
    const sameEntries = providers.length === this.#providers.length && providers.every((p, i) => p === this.#providers[i]);
    this.#providers = providers;
    const signature = JSON.stringify([providers.map((p) => [p.id, p.priority, p.prices]), numbers.map((n) => [n.number, n.updated_at]), rules.map((r) => [r.country, r.updated_at]), routeRules.map((r) => [r.match, r.providers])]);
    if (signature === this.#signature && sameEntries) return;
    const registered = numbers.filter((n) => n.active === 1).map(fromRow);
    const withNumbers = new Set(registered.map((n) => n.providerId));
    const implicit = providers.filter((p) => !withNumbers.has(p.id)).map(implicitNumber).filter((n) => n !== null);
    this.#numbers = [...registered, ...implicit];
    this.#byNumber = new Map(this.#numbers.map((n) => [n.number, n]));
    this.#rules = new Map(rules.map((r) => [r.country, r]));
    this.#routeRules = compile(routeRules.map((r) => [r.match, { match: r.match, providers: JSON.parse(r.providers) as string[] }]));
    this.#signature = signature;
    this.generation++;
    this.invalidate();
  }

  /** Moves each time the routing records change: a decision made under an older one may be stale. */
  generation = 0;

  /** Drops every cached decision (records changed; also used by the benchmark for cold decisions). */
  invalidate(): void { this.#cache.clear(); }

  /** Whether any provider may take sends at all (a record is active, or the simulator serves). */
  configured(): boolean { return this.#providers.length > 0; }

  number(n: string): NumberEntry | undefined { return this.#byNumber.get(n); }

  /** Whether the destination country's rule asks for a carrier lookup before routing. */
  lookupWanted(country: string | null): boolean { return country !== null && this.#rules.get(country)?.lookup === 1; }

  /** The account's numbers kept for masking sessions (pool "masking"), on active providers. */
  maskingPool(accountId: string): string[] {
    const active = new Set(this.#providers.map((p) => p.id));
    return this.#numbers.filter((n) => n.pool === 'masking' && active.has(n.providerId) && (n.accountId === accountId || n.accountId === DEFAULT_ACCOUNT)).map((n) => n.number);
  }

  /** Checks an explicit `from` at intake; returns why it cannot be used, or null. */
  checkFrom(accountId: string, from: string, country: string | null, channel: Channel = 'sms'): { code: 'unknown_sender' | 'sender_not_allowed'; message: string } | null {
    const b = this.#base(accountId, country, from, channel);
    if (b.ok) return null;
    return { code: this.#owned(accountId, from) ? 'sender_not_allowed' : 'unknown_sender', message: b.reason };
  }

  /** The price the best route would charge now (shown at intake). */
  quote(accountId: string, country: string | null, from: string | null, segments: number, channel: Channel = 'sms'): string | null {
    const b = this.#base(accountId, country, from, channel);
    if (!b.ok) return null;
    const best = b.candidates.find((c) => Number.isFinite(c.micros));
    return best ? fromMicros(best.micros * segments) : null;
  }

  /** The routes to try for this message, best first (failover moves down the list). */
  async plan(row: Pick<MessageRow, 'account_id' | 'country' | 'requested_from' | 'to_number' | 'segments' | 'channel'>, now = Date.now(), opts: { dryRun?: boolean; network?: Network | null } = {}): Promise<Plan> {
    const base = this.#base(row.account_id, row.country, row.requested_from, row.channel ?? 'sms');
    if (!base.ok) return base;
    const network = opts.network ?? null;
    let { candidates, excluded } = base;
    const rule = lookupCompiled(this.#routeRules, row.to_number, network)?.value;
    if (rule) {
      excluded = [...excluded, ...candidates.filter((c) => !rule.providers.includes(c.provider.id)).map((c) => ({ provider: c.provider.id, reason: `not in the route rule for ${rule.match}` }))];
      candidates = candidates.filter((c) => rule.providers.includes(c.provider.id));
      if (candidates.length === 0) return { ok: false, reason: `the route rule for ${rule.match} allows ${rule.providers.join(', ')}, and none of them can take this message`, excluded };
    }
    const scored = candidates.map((c) => {
      const view = this.#health.view(c.provider.id, now);
      const delivery = view.deliveryRate ?? 1;
      // 0 healthy, 1 demoted for its delivery rate or its receipts' latency, 2 circuit open
      const rank = view.state === 'open' ? 2 : view.demoted === 'delivery' || view.demoted === 'latency' ? 1 : 0;
      // Prices by prefix or network are read per destination; a country's price was read once, in the cached base.
      const specific = c.specific ? this.#specificPrice(c.provider, row.to_number, network) : undefined;
      const micros = specific ? toMicros(specific.value) : c.micros;
      const order = rule ? rule.providers.indexOf(c.provider.id) : 0;
      return { c, rank, order, micros, priceKey: specific?.key, circuit: view.state, demoted: view.demoted, score: micros * row.segments * (1 + this.#weight * (1 - delivery)) };
    });
    scored.sort((a, b) => a.rank - b.rank || a.order - b.order || a.score - b.score || a.c.provider.priority - b.c.provider.priority);
    // Round-robin among the healthy leaders that tie on everything.
    let ties = 1;
    while (ties < scored.length && scored[ties].rank === 0 && scored[0].rank === 0 && scored[ties].order === scored[0].order && scored[ties].score === scored[0].score && scored[ties].c.provider.priority === scored[0].c.provider.priority) ties++;
    if (ties > 1) {
      const k = (opts.dryRun ? base.rr : base.rr++) % ties;
      scored.unshift(...scored.splice(k, ties - k));
    }
    const routes: Route[] = scored.map(({ c, micros, priceKey, score, circuit, demoted }) => ({
      provider: c.provider, numbers: rotate(c.numbers, opts.dryRun ? c.rr : c.rr++), price: Number.isFinite(micros) ? fromMicros(micros) : null,
      score: Number.isFinite(score) ? Math.round(score) / 1e6 : Infinity, circuit, demoted, ...(priceKey ? { priceKey } : {}),
    }));
    if (row.requested_from === null) await this.#applySticky(row.to_number, routes, now);
    return { ok: true, routes, excluded, ...(rule ? { rule: rule.match } : {}) };
  }

  #specificPrice(p: ProviderEntry, to: string, network: Network | null): { key: string; value: string } | undefined {
    let c = this.#specificPrices.get(p.prices);
    if (!c) { c = compile(Object.entries(p.prices)); this.#specificPrices.set(p.prices, c); }
    return lookupCompiled(c, to, network);
  }

  /** Remembers the sender a recipient got (sticky sender). */
  remember(to: string, from: string): void {
    this.#sticky.delete(to);
    this.#sticky.set(to, from);
    if (this.#sticky.size > STICKY_MAX) this.#sticky.delete(this.#sticky.keys().next().value!);
  }

  async #applySticky(to: string, routes: Route[], now: number): Promise<void> {
    if (routes.length === 1 && routes[0].numbers.length === 1) return; // nothing to choose
    let from = this.#sticky.get(to);
    if (from === undefined) {
      const last = await this.#store.lastSender(to).catch(() => undefined);
      from = last?.from_number ?? '';
      this.remember(to, from);
    }
    if (!from) return;
    const i = routes.findIndex((r) => r.numbers.some((n) => n.number === from));
    if (i < 0 || this.#health.view(routes[i].provider.id, now).demoted !== null) return;
    const [route] = routes.splice(i, 1);
    const j = route.numbers.findIndex((n) => n.number === from);
    route.numbers = [route.numbers[j], ...route.numbers.slice(0, j), ...route.numbers.slice(j + 1)];
    routes.unshift(route);
  }

  #owned(accountId: string, from: string): boolean {
    const n = this.#byNumber.get(from);
    return !!n && (n.accountId === accountId || n.accountId === DEFAULT_ACCOUNT);
  }

  #base(accountId: string, country: string | null, from: string | null, channel: Channel): Base {
    const key = `${accountId}|${country ?? ''}|${from ?? ''}|${channel}`;
    let b = this.#cache.get(key);
    if (!b) { b = this.#build(accountId, country, from, channel); this.#cache.set(key, b); }
    return b;
  }

  #build(accountId: string, country: string | null, from: string | null, channel: Channel): Base {
    // Only providers that carry the channel (calls: kinds that place them).
    const providers = new Map(this.#providers.filter((p) => p.channels.includes(channel)).map((p) => [p.id, p]));
    let pool: NumberEntry[];
    if (from !== null) {
      if (!this.#owned(accountId, from)) return { ok: false, reason: `${from} is not one of this account's numbers (see GET /v1/numbers)` };
      pool = [this.#byNumber.get(from)!];
      if (!providers.has(pool[0].providerId)) return { ok: false, reason: `${from} belongs to provider ${pool[0].providerId}, which is not active` };
    } else {
      const usable = this.#numbers.filter((n) => n.pool === 'default' && providers.has(n.providerId));
      const own = usable.filter((n) => n.accountId === accountId);
      pool = own.length > 0 ? own : usable.filter((n) => n.accountId === DEFAULT_ACCOUNT);
      if (pool.length === 0) return { ok: false, reason: 'no active provider has a number to send from' };
    }
    const rule = country ? this.#rules.get(country) : undefined;
    const reasons = new Set<string>();
    const byProvider = new Map<string, NumberEntry[]>();
    const refused = new Map<string, string>();
    for (const n of pool) {
      const why = refusal(n, country, rule, channel);
      if (why) { reasons.add(why); if (!refused.has(n.providerId)) refused.set(n.providerId, why); continue; }
      byProvider.set(n.providerId, [...(byProvider.get(n.providerId) ?? []), n]);
    }
    // Every active provider that is not a candidate, and why (for the routing explanation).
    const excluded: Excluded[] = [...providers.keys()].filter((id) => !byProvider.has(id))
      .map((id) => ({ provider: id, reason: refused.get(id) ?? (from !== null ? `the message is sent from ${from}` : "no number of the account's pool on this provider") }));
    if (byProvider.size === 0) return { ok: false, reason: [...reasons].slice(0, 3).join('; '), excluded };
    const candidates = [...byProvider].map(([id, numbers]): Candidate => {
      const provider = providers.get(id)!;
      const per = (country && provider.prices[country]) ?? provider.prices['*'];
      return { provider, micros: per === undefined ? Infinity : toMicros(per), numbers, rr: 0, specific: hasSpecificPrices(provider.prices) };
    });
    candidates.sort((a, b) => a.micros - b.micros || a.provider.priority - b.provider.priority);
    return { ok: true, candidates, rr: 0, excluded };
  }
}

/** Whether a price list has entries by prefix or network (read per destination, not per country). */
function hasSpecificPrices(prices: Readonly<Record<string, string>>): boolean {
  return Object.keys(prices).some((k) => { const kind = keyKind(k); return kind === 'prefix' || kind === 'network'; });
}

function rotate<T>(xs: T[], k: number): T[] {
  if (xs.length < 2) return xs;
  const i = k % xs.length;
  return [...xs.slice(i), ...xs.slice(0, i)];
}
