// Routing below the country (issue 28), pure: a destination's network (MCC/MNC, from a
// carrier lookup) and its number's prefix pick a provider's price and the route rule that
// applies. The most specific wins: the network, then the longest prefix, then the
// country, then "*".
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

function sameNetwork(key: string, n: Network): boolean {
  const m = NETWORK.exec(key);
  return m !== null && m[1] === n.mcc && m[2] === n.mnc;
}

/** The longest key of `keys` that is a prefix of `to`. */
function longestPrefix(keys: Iterable<string>, to: string): string | undefined {
  let best: string | undefined;
  for (const k of keys) if (k.startsWith('+') && to.startsWith(k) && (best === undefined || k.length > best.length)) best = k;
  return best;
}

/** A provider's price per segment for this destination, and which entry of its list said so. */
export function priceFor(prices: Readonly<Record<string, string>>, to: string, country: string | null, network: Network | null): { price: string; key: string } | undefined {
  if (network) {
    const k = Object.keys(prices).find((key) => sameNetwork(key, network));
    if (k) return { price: prices[k], key: k };
  }
  const p = longestPrefix(Object.keys(prices), to);
  if (p) return { price: prices[p], key: p };
  if (country && prices[country] !== undefined) return { price: prices[country], key: country };
  if (prices['*'] !== undefined) return { price: prices['*'], key: '*' };
  return undefined;
}

/** The rule for this destination: its network's, else the longest prefix's; none → the country rule decides alone. */
export function matchRule(rules: readonly RouteRule[], to: string, network: Network | null): RouteRule | undefined {
  if (network) {
    const r = rules.find((x) => sameNetwork(x.match, network));
    if (r) return r;
  }
  const p = longestPrefix(rules.map((r) => r.match), to);
  return p === undefined ? undefined : rules.find((r) => r.match === p);
}
