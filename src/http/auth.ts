// API keys: `sk_` + 40 random base62-ish characters, shown once; only a SHA-256 hash is
// stored (keys are high-entropy, so a fast hash is enough). Scopes: send, read, admin,
// operator; each implies the ones before it. `admin` manages one account; `operator`
// manages what every account shares (providers, country rules, the number pool) and may
// act for any account. SWITCHBOARD_ADMIN_KEY, when set, is an operator key of the
// default account. Lookups are cached briefly so the hot path does not hit the store.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyRow, RecordStore, Scope } from '../store/store.ts';
import { newId } from '../domain/ids.ts';
import { AppError } from '../domain/errors.ts';
import type { Actor } from '../domain/actor.ts';

export interface Principal extends Actor {
  keyId: string | null; scopes: ReadonlySet<Scope>; name: string; callbackUrl: string | null;
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

export async function createKey(store: RecordStore, opts: { name: string; accountId?: string; scopes?: Scope[]; callbackUrl?: string }): Promise<{ key: ApiKeyRow; secret: string }> {
  const scopes = opts.scopes && opts.scopes.length ? opts.scopes : ['send', 'read'] as Scope[];
  for (const s of scopes) if (!SCOPES.includes(s)) throw new AppError('validation_error', `unknown scope ${s}; scopes are ${SCOPES.join(', ')}`, { field: 'scopes' });
  const secret = generateSecret();
  const now = Date.now();
  const accountId = opts.accountId ?? 'default';
  await store.ensureAccount(accountId, accountId, now);
  const key: ApiKeyRow = {
    id: newId('key'), account_id: accountId, name: opts.name, prefix: secret.slice(0, 10), hash: hashKey(secret),
    scopes: scopes.join(','), created_at: now, updated_at: now, revoked_at: null,
    webhook_secret: generateWebhookSecret(), callback_url: opts.callbackUrl ?? null,
  };
  await store.createApiKey(key);
  return { key, secret };
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
      return { keyId: null, accountId: 'default', operator: true, scopes: new Set(SCOPES), name: 'bootstrap operator', callbackUrl: null, signsCallbacks: this.#adminSigns };
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

  forget(): void { this.#cache.clear(); }
}

function toPrincipal(row: ApiKeyRow): Principal {
  const scopes = new Set<Scope>();
  for (const s of row.scopes.split(',') as Scope[]) { scopes.add(s); for (const i of IMPLIED[s] ?? []) scopes.add(i); }
  return { keyId: row.id, accountId: row.account_id, operator: scopes.has('operator'), scopes, name: row.name, callbackUrl: row.callback_url, signsCallbacks: !!row.webhook_secret };
}

export function requireScope(p: Principal, scope: Scope): void {
  if (!p.scopes.has(scope)) throw new AppError('forbidden', `this key lacks the ${scope} scope`);
}
