// Callbacks must not become a way to reach the operator's private network: a callback
// URL whose host is, or resolves to, a private, loopback, link-local or otherwise
// non-public address is refused unless SWITCHBOARD_CALLBACK_ALLOWLIST names it (a host,
// an IP, or a CIDR). Checked at intake for literal IPs and again before each delivery.
import { BlockList, isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import { lookup as lookupCb, type LookupAddress } from 'node:dns';
import { AppError } from '../domain/errors.ts';

const PRIVATE = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) PRIVATE.addSubnet(net, bits, 'ipv4');
// No ::ffff:0:0/96 rule: BlockList maps IPv4 onto it, which would refuse every public
// IPv4 address; IPv4-mapped IPv6 addresses are matched against the IPv4 rules instead.
for (const [net, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) PRIVATE.addSubnet(net, bits, 'ipv6');

export class CallbackGuard {
  readonly #hosts = new Set<string>();
  readonly #allowed = new BlockList();

  constructor(allowlist: readonly string[]) {
    for (const entry of allowlist) {
      const [addr, bits] = entry.split('/');
      const family = isIP(addr);
      if (family && bits !== undefined) this.#allowed.addSubnet(addr, Number(bits), family === 4 ? 'ipv4' : 'ipv6');
      else if (family) this.#allowed.addAddress(addr, family === 4 ? 'ipv4' : 'ipv6');
      else this.#hosts.add(entry.toLowerCase());
    }
  }

  #forbidden(ip: string): boolean {
    const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
    return PRIVATE.check(ip, family) && !this.#allowed.check(ip, family);
  }

  /** Intake: the URL's shape, and a literal private IP. No DNS on the request path. */
  /** `field`: the request field that named the URL (callback_url; a number's inbound_url). */
  checkAtIntake = (u: string, field = 'callback_url'): void => {
    checkCallbackUrl(u, field);
    const host = hostOf(u);
    if (isIP(host) && this.#forbidden(host) && !this.#hosts.has(host)) {
      throw new AppError('invalid_callback_url', `${field} points at a private address (${host}); the operator can allow it with SWITCHBOARD_CALLBACK_ALLOWLIST`, { field });
    }
  };

  /**
   * Delivery: resolves the host; says why it may not be called now, or null. A private
   * address is final; a name that does not resolve is `transient` (DNS failures are
   * usually passing), so the delivery is retried and checked again next time.
   */
  async refusal(u: string): Promise<{ reason: string; transient: boolean } | null> {
    const host = hostOf(u);
    if (this.#hosts.has(host.toLowerCase())) return null;
    let addrs: string[];
    try {
      addrs = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
    } catch (err) {
      return { reason: `cannot resolve ${host} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, transient: true };
    }
    if (addrs.length === 0) return { reason: `cannot resolve ${host}`, transient: true };
    const bad = addrs.find((a) => this.#forbidden(a));
    return bad ? { reason: `${host} resolves to a private address (${bad})`, transient: false } : null;
  }

  /**
   * A `lookup` for the connection itself: the addresses the socket connects to are the
   * ones checked here, so a DNS answer that changes between check and connect (DNS
   * rebinding) cannot slip a private address through.
   */
  connectLookup = (hostname: string, options: object, callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void): void => {
    lookupCb(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, []);
      if (!this.#hosts.has(hostname.toLowerCase())) {
        const bad = addresses.find((a) => this.#forbidden(a.address));
        if (bad) return callback(new Error(`${hostname} resolves to a private address (${bad.address})`), []);
      }
      if ((options as { all?: boolean }).all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/** The URL's shape: absolute http(s), no credentials. */
export function checkCallbackUrl(u: string, field = 'callback_url'): void {
  let url: URL;
  try { url = new URL(u); } catch { throw new AppError('invalid_callback_url', `${u} is not an absolute URL`, { field }); }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new AppError('invalid_callback_url', `${field} must use http or https`, { field });
  if (url.username || url.password) throw new AppError('invalid_callback_url', `${field} must not carry credentials`, { field });
}

function hostOf(u: string): string {
  return new URL(u).hostname.replace(/^\[|\]$/g, '');
}
