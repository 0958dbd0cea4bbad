// Vonage request and webhook signatures (domain.md §3.3): every parameter but `sig`
// (with `timestamp`, unix seconds), sorted by key, `&` and `=` in values replaced by `_`,
// joined as `&k=v&k=v…`; then HMAC with the signature secret (md5, sha1, sha256 or
// sha512), hex — or, for the legacy `md5hash`, md5 of the string followed by the secret.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type VonageSignatureMethod = 'md5hash' | 'md5' | 'sha1' | 'sha256' | 'sha512';
export const VONAGE_SIGNATURE_METHODS: readonly VonageSignatureMethod[] = ['md5hash', 'md5', 'sha1', 'sha256', 'sha512'];

/** How far a signed webhook's `timestamp` may be from our clock. */
export const SIGNATURE_WINDOW_S = 300;

export function vonageSignature(params: Record<string, string>, secret: string, method: VonageSignatureMethod): string {
  const keys = Object.keys(params).filter((k) => k !== 'sig').sort();
  const text = keys.map((k) => `&${k}=${params[k].replace(/[&=]/g, '_')}`).join('');
  if (method === 'md5hash') return createHash('md5').update(text + secret).digest('hex');
  return createHmac(method, secret).update(text).digest('hex');
}

/** Whether `params` carry a valid `sig` made within the window around `now` (ms). */
export function verifyVonageSignature(params: Record<string, string>, secret: string, method: VonageSignatureMethod, now = Date.now()): boolean {
  const given = (params.sig ?? '').toLowerCase();
  const ts = Number(params.timestamp);
  if (!given || !secret || !Number.isFinite(ts) || Math.abs(now / 1000 - ts) > SIGNATURE_WINDOW_S) return false;
  const want = vonageSignature(params, secret, method);
  return given.length === want.length && timingSafeEqual(Buffer.from(given), Buffer.from(want));
}
