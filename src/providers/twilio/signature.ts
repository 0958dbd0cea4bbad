// X-Twilio-Signature (domain.md §2.3): HMAC-SHA1 with the auth token over the exact URL
// Twilio requested followed by every form parameter name+value, names in byte order
// (a repeated name: its values sorted), base64. Twilio may sign the URL with or without
// an explicit port, so both forms are accepted. JSON bodies carry bodySHA256 in the query.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export function twilioSignature(authToken: string, url: string, params: URLSearchParams | Record<string, string> = {}): string {
  const p = params instanceof URLSearchParams ? params : new URLSearchParams(params);
  const names = [...new Set(p.keys())].sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b))));
  let data = url;
  for (const name of names) for (const value of [...new Set(p.getAll(name))].sort()) data += name + value;
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

function urlVariants(url: string): string[] {
  // Work on the string: URL objects silently drop a default port.
  const m = /^(https?:\/\/)([^/:?#]+)(?::(\d+))?(.*)$/i.exec(url);
  if (!m) return [url];
  const [, scheme, host, port, rest] = m;
  const defaultPort = scheme.toLowerCase() === 'https://' ? '443' : '80';
  return [...new Set([url, `${scheme}${host}${rest}`, `${scheme}${host}:${port ?? defaultPort}${rest}`])];
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a); const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function verifyTwilioSignature(authToken: string, url: string, body: string, contentType: string, signature: string | undefined): boolean {
  if (!signature || !authToken) return false;
  const bodyHash = new URL(url).searchParams.get('bodySHA256');
  if (bodyHash !== null || contentType.includes('application/json')) {
    if (bodyHash === null || !same(createHash('sha256').update(body).digest('hex'), bodyHash)) return false;
    return urlVariants(url).some((u) => same(twilioSignature(authToken, u), signature));
  }
  const params = new URLSearchParams(body);
  return urlVariants(url).some((u) => same(twilioSignature(authToken, u, params), signature));
}
