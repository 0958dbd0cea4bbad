// Routing below the country (issue 28), pure: a destination's network (MCC/MNC, from a
// carrier lookup) and its number's prefix pick a provider's price and the route rule that
// applies. The most specific wins: the network, then the longest prefix (then, in the
// router, the country and "*").
//
// Terms
// - network: a mobile network, MCC + MNC ("310" + "260"), written "310260" or "310-260".
// - prefix: the start of an E.164 number, "+" and digits ("+1415", "+4477").
// - route rule: the providers a prefix or a network may go through, as a country rule's
//   list does for a country (store: route_rules).

export interface Network { mcc: string; mnc: string }

export interface RouteRule {
  /** "+<digits>" (a prefix) or "<mcc>-<mnc>" (a network) */
  match: string;
  /** the providers allowed, in the order preferred */
  providers: string[];
}

const PREFIX = /^\+\d{1,15}$/;
const NETWORK = /^(\d{3})-?(\d{2,3})$/;

/** What a price-list or rule key names: a prefix, a network, a country ("US") or everything ("*"). */
export function keyKind(key: string): 'prefix' | 'network' | 'country' | 'any' | null {
  if (key === '*') return 'any';
  if (PREFIX.test(key)) return 'prefix';
  if (NETWORK.test(key)) return 'network';
  if (/^[A-Z]{2}$/.test(key)) return 'country';
  return null;
}

/** A network key in its one written form, "310-260". */
export function networkKey(n: Network): string { return `${n.mcc}-${n.mnc}`; }

/** A rule or price key as stored and matched: a network in its one written form ("310260" → "310-260"), anything else as it is. */
export function normalKey(key: string): string {
  const m = NETWORK.exec(key);
  return m ? `${m[1]}-${m[2]}` : key;
}

/**
 * A price list or rule set compiled for lookups by key: a network is one map lookup, the
 * longest prefix at most 15 (one per length of the number), however long the list.
 */
export interface Compiled<T> { networks: Map<string, T>; prefixes: Map<string, T>; maxPrefix: number }

export function compile<T>(entries: Iterable<[string, T]>): Compiled<T> {
  const c: Compiled<T> = { networks: new Map(), prefixes: new Map(), maxPrefix: 0 };
  for (const [key, v] of entries) {
    const kind = keyKind(key);
    if (kind === 'network') c.networks.set(normalKey(key), v);
    if (kind === 'prefix') { c.prefixes.set(key, v); c.maxPrefix = Math.max(c.maxPrefix, key.length); }
  }
  return c;
}

/** The entry for the destination's network, else its longest prefix, with the key that matched. */
export function lookupCompiled<T>(c: Compiled<T>, to: string, network: Network | null): { key: string; value: T } | undefined {
  if (network && c.networks.size > 0) {
    const key = networkKey(network);
    const v = c.networks.get(key);
    if (v !== undefined) return { key, value: v };
  }
  for (let len = Math.min(c.maxPrefix, to.length); len >= 2; len--) {
    const key = to.slice(0, len);
    const v = c.prefixes.get(key);
    if (v !== undefined) return { key, value: v };
  }
  return undefined;
}
