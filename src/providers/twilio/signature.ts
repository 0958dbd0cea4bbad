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
  const u = new URL(url);
  const variants = new Set([url]);
  const defaultPort = u.protocol === 'https:' ? '443' : '80';
  if (u.port) {
    const stripped = new URL(url); stripped.port = ''; variants.add(stripped.toString());
  } else {
    // URL drops a default port when set, so splice it into the string form
    variants.add(url.replace(`${u.protocol}//${u.host}`, `${u.protocol}//${u.hostname}:${defaultPort}`));
  }
  return [...variants];
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
