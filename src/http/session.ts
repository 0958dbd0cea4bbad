// Dashboard sessions: a signed cookie (HMAC-SHA256 with SWITCHBOARD_SESSION_SECRET, or a
// per-process random secret) naming the signed-in key by id and hash prefix, with an
// expiry. `HttpOnly`, `SameSite=Strict`, `Secure` when served over HTTPS. Every request
// the cookie authenticates re-checks the key (revocation ends the session), and every
// state-changing one must carry the session's CSRF token in `x-csrf-token`.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'sb_session';
export const SESSION_HOURS = 12;

export interface SessionClaims { k: string | null; h: string; e: number }

export class Sessions {
  readonly #secret: Buffer;

  constructor(secret: string) { this.#secret = secret ? Buffer.from(secret) : randomBytes(32); }

  #mac(data: string): string { return createHmac('sha256', this.#secret).update(data).digest('base64url'); }

  issue(keyId: string | null, hashPrefix: string, now = Date.now()): string {
    const body = Buffer.from(JSON.stringify({ k: keyId, h: hashPrefix, e: now + SESSION_HOURS * 3_600_000 } satisfies SessionClaims)).toString('base64url');
    return `${body}.${this.#mac(body)}`;
  }

  /** The claims of a cookie value that is genuine and not expired, else null. */
  read(value: string | undefined, now = Date.now()): SessionClaims | null {
    if (!value || value.length > 1024) return null;
    const [body, mac] = value.split('.');
    if (!body || !mac) return null;
    const want = Buffer.from(this.#mac(body));
    const got = Buffer.from(mac);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return null;
    try {
      const c = JSON.parse(Buffer.from(body, 'base64url').toString()) as SessionClaims;
      return typeof c.e === 'number' && c.e > now && typeof c.h === 'string' ? c : null;
    } catch { return null; }
  }

  /** The CSRF token of a session: bound to its cookie value, so another session's token does not fit. */
  csrf(cookieValue: string): string { return this.#mac(`csrf:${cookieValue}`); }

  csrfMatches(cookieValue: string, token: string | undefined): boolean {
    if (!token) return false;
    const want = Buffer.from(this.csrf(cookieValue));
    const got = Buffer.from(token);
    return want.length === got.length && timingSafeEqual(want, got);
  }
}

/**
 * The signed-in key of a request's session cookie, with the cookie's value (for its CSRF
 * token), or null: no cookie, a forged or expired one, or a key revoked since.
 */
export async function sessionOf<P>(sessions: Sessions, cookieHeader: string | undefined, principal: (keyId: string | null, hashPrefix: string) => Promise<P | null>): Promise<{ p: P; value: string } | null> {
  const value = cookie(cookieHeader, SESSION_COOKIE);
  const claims = sessions.read(value);
  const p = claims ? await principal(claims.k, claims.h) : null;
  return p && value ? { p, value } : null;
}

/** The value of one cookie in a Cookie header. */
export function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}
