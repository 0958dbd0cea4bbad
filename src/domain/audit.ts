// The audit log of configuration changes (DESIGN.md §6: configuration only, never per
// message). Terms:
// - entry: one change of one object (created, updated, deleted), written in the same
//   transaction as the change, with who made it, the request, and the object before and
//   after, secret-bearing fields redacted (SECRET_FIELDS).
// - actor: who acted: an API key (`key`), a dashboard session (`dashboard`, its key), the
//   CLI (`cli`) or `switchboard apply` (`apply`) with the OS user, or Switchboard itself
//   (`system`: a background change made by no request).
// - chain: entries are numbered without gaps (seq) and each carries the hash of the one
//   before (prev_hash) and its own (hash = sha256 of prev_hash and the entry's canonical
//   JSON); the head (last seq and hash) is kept beside them, so an entry edited, removed
//   or inserted by hand breaks the chain and `switchboard audit verify` says where.
// - checkpoint: retention removes the oldest entries; the seq and hash of the last one
//   removed stay in the head, so what remains still verifies.
// The actor of the change under way travels with the request (AsyncLocalStorage): the
// HTTP server, the CLI and `apply` set it, the store reads it when it writes the entry.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { SYSTEM_ACCOUNT } from './actor.ts';

export type AuditActorKind = 'key' | 'dashboard' | 'cli' | 'apply' | 'system';
export interface AuditActor {
  readonly kind: AuditActorKind;
  /** the key's id, or the OS user for the CLI and apply */
  readonly id: string | null;
  readonly name: string | null;
  readonly requestId: string | null;
}
export type AuditAction = 'create' | 'update' | 'delete';
export type AuditObject = 'account' | 'api_key' | 'provider' | 'number' | 'country_rule' | 'route_rule' | 'relay_rule' | 'template' | 'tracking_link' | 'opt_out';
export const AUDIT_OBJECTS: readonly AuditObject[] = ['account', 'api_key', 'provider', 'number', 'country_rule', 'route_rule', 'relay_rule', 'template', 'tracking_link', 'opt_out'];

/** Fields never written to the log: their values are replaced, a change to them is still named. */
export const SECRET_FIELDS: Partial<Record<AuditObject, readonly string[]>> = {
  api_key: ['hash', 'webhook_secret', 'smpp_password_hash'],
  tracking_link: ['token_hash'],
};
export const REDACTED = '[redacted]';
export const GENESIS_HASH = '0'.repeat(64);

export interface AuditRow {
  seq: number;
  id: string;
  at: number;
  /** the account the object belongs to; null for what every account shares (providers, rules) */
  account_id: string | null;
  actor_kind: AuditActorKind;
  actor_id: string | null;
  actor_name: string | null;
  request_id: string | null;
  object: AuditObject;
  object_id: string;
  action: AuditAction;
  /** JSON: the names of the fields that changed */
  changed: string;
  /** JSON, redacted; null when the object did not exist */
  before: string | null;
  after: string | null;
  prev_hash: string;
  hash: string;
}

const SYSTEM: AuditActor = Object.freeze({ kind: 'system', id: null, name: null, requestId: null });
const current = new AsyncLocalStorage<AuditActor>();

/** Runs `fn` with `actor` as the author of every change it makes. */
export function actingAs<T>(actor: AuditActor, fn: () => T): T {
  return current.run(actor, fn);
}

/** Who is making the change under way. */
export function auditActor(): AuditActor {
  return current.getStore() ?? SYSTEM;
}

type State = Record<string, unknown> | undefined;

/**
 * The entry for a change from `before` to `after` (undefined: absent), or null when
 * nothing changed. `seq` and `prev` come from the chain's head.
 */
export function auditEntry(o: { seq: number; prev: string; at: number; actor: AuditActor; object: AuditObject; objectId: string; accountId: string | null; before: State; after: State }): AuditRow | null {
  const { before, after } = o;
  if (before === undefined && after === undefined) return null;
  const keys = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])].sort();
  const changed = keys.filter((k) => canonical(before?.[k] ?? null) !== canonical(after?.[k] ?? null));
  if (before !== undefined && after !== undefined && changed.length === 0) return null;
  const entry: Omit<AuditRow, 'hash'> = {
    seq: o.seq, id: `aud_${o.seq}`, at: o.at, account_id: o.accountId,
    actor_kind: o.actor.kind, actor_id: o.actor.id, actor_name: o.actor.name, request_id: o.actor.requestId,
    object: o.object, object_id: o.objectId, action: before === undefined ? 'create' : after === undefined ? 'delete' : 'update',
    changed: JSON.stringify(changed),
    before: before === undefined ? null : JSON.stringify(redact(o.object, before)),
    after: after === undefined ? null : JSON.stringify(redact(o.object, after)),
    prev_hash: o.prev,
  };
  return { ...entry, hash: entryHash(entry) };
}

function redact(object: AuditObject, state: Record<string, unknown>): Record<string, unknown> {
  const secret = SECRET_FIELDS[object];
  if (!secret) return state;
  const out = { ...state };
  for (const f of secret) if (out[f] !== undefined && out[f] !== null) out[f] = REDACTED;
  return out;
}

/** sha256 of the previous hash and the entry's canonical JSON (every field but its hash). */
export function entryHash(e: Omit<AuditRow, 'hash'>): string {
  const { seq, id, at, account_id, actor_kind, actor_id, actor_name, request_id, object, object_id, action, changed, before, after, prev_hash } = e;
  const body = canonical({ seq: Number(seq), id, at: Number(at), account_id, actor_kind, actor_id, actor_name, request_id, object, object_id, action, changed, before, after });
  return createHash('sha256').update(`${prev_hash}\n${body}`).digest('hex');
}

/** JSON with object keys sorted, so the same value always hashes the same. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

export interface AuditHead { n: number; hash: string; checkpoint_seq: number; checkpoint_hash: string }
export interface ChainProblem { seq: number; problem: string }

/**
 * Checks a run of entries (in seq order) against the chain: each follows the one before
 * without a gap, names its hash, and hashes to what it says. `from` is where the run
 * starts: the checkpoint (seq and hash of the last entry before it), or the previous
 * page's last entry. Answers the problems found and where the run ends.
 */
export function verifyChain(rows: readonly AuditRow[], from: { seq: number; hash: string }): { problems: ChainProblem[]; end: { seq: number; hash: string } } {
  const problems: ChainProblem[] = [];
  let { seq, hash } = from;
  for (const r of rows) {
    const s = Number(r.seq);
    if (s !== seq + 1) problems.push({ seq: s, problem: s > seq + 1 ? `entries ${seq + 1}–${s - 1} are missing` : `entry ${s} is out of order` });
    if (r.prev_hash !== hash) problems.push({ seq: s, problem: 'does not name the hash of the entry before it' });
    if (entryHash(r) !== r.hash) problems.push({ seq: s, problem: 'its content does not match its hash (edited after it was written)' });
    seq = s;
    hash = r.hash;
  }
  return { problems, end: { seq, hash } };
}

/** An entry as the API, the dashboard and the `audit.recorded` event show it. */
export function presentAudit(r: AuditRow) {
  return {
    id: r.id, seq: Number(r.seq), at: new Date(Number(r.at)).toISOString(), account_id: r.account_id,
    actor: { kind: r.actor_kind, id: r.actor_id, name: r.actor_name }, request_id: r.request_id,
    object: r.object, object_id: r.object_id, action: r.action, changed: JSON.parse(r.changed) as string[],
    before: r.before === null ? null : JSON.parse(r.before) as unknown, after: r.after === null ? null : JSON.parse(r.after) as unknown,
    prev_hash: r.prev_hash, hash: r.hash,
  };
}

/** The `audit.recorded` event of an entry (an outbox row), written with it: operators' when the object is shared. */
export function auditEvent(r: AuditRow): { id: string; account_id: string; type: 'audit.recorded'; subject: string; message_id: null; time: number; data: string } {
  return { id: `evt_${r.id}_${r.hash.slice(0, 16)}`, account_id: r.account_id ?? SYSTEM_ACCOUNT, type: 'audit.recorded', subject: r.id, message_id: null, time: r.at, data: JSON.stringify(presentAudit(r)) };
}
