// API keys: `sk_` + 40 random base62-ish characters, shown once; only a SHA-256 hash is
// stored (keys are high-entropy, so a fast hash is enough). Scopes: send, read, admin,
// operator; each implies the ones before it. `admin` manages one account; `operator`
// manages what every account shares (providers, country rules, the number pool) and may
// act for any account. SWITCHBOARD_ADMIN_KEY, when set, is an operator key of the
// default account. Lookups are cached briefly so the hot path does not hit the store.
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { ApiKeyRow, RecordStore, Scope } from '../store/store.ts';
import { newId } from '../domain/ids.ts';
import { AppError } from '../domain/errors.ts';
import { SMPP_MAX } from '../domain/smpp.ts';
import type { Actor } from '../domain/actor.ts';
import { laneOf } from '../domain/lanes.ts';

export interface Principal extends Actor {
  keyId: string | null; scopes: ReadonlySet<Scope>; name: string; callbackUrl: string | null;
  /** the lane of messages sent with this key that name none */
  priority: string | null;
  /** whether callbacks of this key's messages can be signed (it has a signing secret) */
  signsCallbacks: boolean;
}

export const SCOPES: readonly Scope[] = ['send', 'read', 'admin', 'operator'];
/** What each scope grants besides itself. */
const IMPLIED: Record<Scope, readonly Scope[]> = { send: [], read: [], admin: ['send', 'read'], operator: ['admin', 'send', 'read'] };
const CACHE_MS = 5_000;

export function hashKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function generateSecret(): string {
  return `sk_${randomBytes(30).toString('base64url')}`;
}

export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

export async function createKey(store: RecordStore, opts: { name: string; accountId?: string; scopes?: Scope[]; callbackUrl?: string; priority?: string }): Promise<{ key: ApiKeyRow; secret: string }> {
  if (opts.priority !== undefined) laneOf(opts.priority); // refused here, not at its first send
  const scopes = opts.scopes && opts.scopes.length ? opts.scopes : ['send', 'read'] as Scope[];
  for (const s of scopes) if (!SCOPES.includes(s)) throw new AppError('validation_error', `unknown scope ${s}; scopes are ${SCOPES.join(', ')}`, { field: 'scopes' });
  const secret = generateSecret();
  const now = Date.now();
  const accountId = opts.accountId ?? 'default';
  await store.ensureAccount(accountId, accountId, now);
  const key: ApiKeyRow = {
    id: newId('key'), account_id: accountId, name: opts.name, prefix: secret.slice(0, 10), hash: hashKey(secret),
    scopes: scopes.join(','), created_at: now, updated_at: now, revoked_at: null,
    webhook_secret: generateWebhookSecret(), callback_url: opts.callbackUrl ?? null, priority: opts.priority ?? null,
  };
  await store.createApiKey(key);
  return { key, secret };
}

const scryptAsync = (password: string, salt: Buffer) => new Promise<Buffer>((resolve, reject) => scrypt(password, salt, 32, (err, key) => (err ? reject(err) : resolve(key))));

/** scrypt for SMPP bind passwords (at most 8 characters, so a plain hash would not do). */
export async function hashSmppPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  return `scrypt$${salt.toString('base64url')}$${(await scryptAsync(password, salt)).toString('base64url')}`;
}

async function smppPasswordMatches(password: string, stored: string): Promise<boolean> {
  const [scheme, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const want = Buffer.from(hash, 'base64url');
  const got = await scryptAsync(password, Buffer.from(salt, 'base64url'));
  return want.length === got.length && timingSafeEqual(want, got);
}

const SMPP_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/**
 * Gives a key SMPP bind credentials: a system_id from its name (at most 15 characters,
 * made unique) and a random 8-character password (the SMPP 3.4 maximum: 9 octets with the NUL), shown once.
 */
export async function createSmppCredentials(store: RecordStore, key: ApiKeyRow): Promise<{ systemId: string; password: string }> {
  // system_id: at most 15 characters (16 with its NUL): 11 of the name and up to 4 digits.
  const base = key.name.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 11) || 'client';
  // SMPP 3.4 password: a C-Octet String of at most 9 octets with its NUL, so 8 characters (Kannel refuses a 9th).
  const password = Array.from(randomBytes(SMPP_MAX.password - 1), (b) => SMPP_ALPHABET[b % SMPP_ALPHABET.length]).join('');
  const hash = await hashSmppPassword(password);
  for (let i = 0; i < 50; i++) {
    const systemId = i === 0 ? base : `${base}${randomBytes(2).readUInt16BE(0) % 10_000}`;
    if (await store.setApiKeySmpp(key.id, systemId, hash, Date.now())) return { systemId, password };
  }
  throw new Error('could not find a free SMPP system_id');
}

export class Authenticator {
  readonly #store: RecordStore;
  readonly #adminHash: Buffer | null;
  readonly #adminSigns: boolean;
  readonly #cache = new Map<string, { p: Principal | null; at: number }>();

  constructor(store: RecordStore, adminKey: string, adminWebhookSecret: string) {
    this.#store = store;
    this.#adminSigns = adminWebhookSecret !== '';
    this.#adminHash = adminKey ? Buffer.from(hashKey(adminKey), 'hex') : null;
  }

  /** The principal for an Authorization header, or an AppError (401). */
  async authenticate(header: string | undefined): Promise<Principal> {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!m) throw new AppError('unauthorized', 'missing API key: send `Authorization: Bearer <key>`');
    const hash = hashKey(m[1]);
    if (this.#adminHash && timingSafeEqual(Buffer.from(hash, 'hex'), this.#adminHash)) {
      return { keyId: null, accountId: 'default', operator: true, scopes: new Set(SCOPES), name: 'bootstrap operator', callbackUrl: null, priority: null, signsCallbacks: this.#adminSigns };
    }
    const now = Date.now();
    let hit = this.#cache.get(hash);
    if (!hit || now - hit.at > CACHE_MS) {
      const row = await this.#store.findApiKeyByHash(hash);
      hit = { p: row && row.revoked_at === null ? toPrincipal(row) : null, at: now };
      if (this.#cache.size > 10_000) this.#cache.clear();
      this.#cache.set(hash, hit);
    }
    if (!hit.p) throw new AppError('unauthorized', 'invalid or revoked API key');
    return hit.p;
  }

  /**
   * The key behind a signed-in dashboard session: the bootstrap key (`keyId` null) or a
   * stored key, checked again on every request (revoked or rotated: no session). The
   * session names the key by id and the first 16 hex of its hash, never by its secret.
   */
  async sessionPrincipal(keyId: string | null, hashPrefix: string): Promise<Principal | null> {
    if (keyId === null) {
      if (!this.#adminHash || this.#adminHash.toString('hex').slice(0, 16) !== hashPrefix) return null;
      return { keyId: null, accountId: 'default', operator: true, scopes: new Set(SCOPES), name: 'bootstrap operator', callbackUrl: null, priority: null, signsCallbacks: this.#adminSigns };
    }
    const row = await this.#store.getApiKey(keyId);
    if (!row || row.revoked_at !== null || row.hash.slice(0, 16) !== hashPrefix) return null;
    return toPrincipal(row);
  }

  /** The key behind an API key secret, for signing in (the same check as a Bearer request). */
  async keyForSecret(secret: string): Promise<{ principal: Principal; hashPrefix: string }> {
    const principal = await this.authenticate(`Bearer ${secret}`);
    return { principal, hashPrefix: hashKey(secret).slice(0, 16) };
  }

  /** An SMPP bind's system_id and password → the key's principal, or null (unknown, wrong, revoked). */
  async authenticateSmpp(systemId: string, password: string): Promise<Principal | null> {
    const cacheKey = `smpp\u0000${systemId}\u0000${hashKey(password)}`;
    const now = Date.now();
    const hit = this.#cache.get(cacheKey);
    if (hit && now - hit.at <= CACHE_MS) return hit.p;
    const row = await this.#store.findApiKeyBySmppSystemId(systemId);
    const ok = !!row && row.revoked_at === null && !!row.smpp_password_hash && (await smppPasswordMatches(password, row.smpp_password_hash));
    const p = ok ? toPrincipal(row) : null;
    this.#cache.set(cacheKey, { p, at: now });
    return p;
  }

  forget(): void { this.#cache.clear(); }
}

function toPrincipal(row: ApiKeyRow): Principal {
  const scopes = new Set<Scope>();
  for (const s of row.scopes.split(',') as Scope[]) { scopes.add(s); for (const i of IMPLIED[s] ?? []) scopes.add(i); }
  return { keyId: row.id, accountId: row.account_id, operator: scopes.has('operator'), scopes, name: row.name, callbackUrl: row.callback_url, priority: row.priority ?? null, signsCallbacks: !!row.webhook_secret };
}

export function requireScope(p: Principal, scope: Scope): void {
  if (!p.scopes.has(scope)) throw new AppError('forbidden', `this key lacks the ${scope} scope`);
}
