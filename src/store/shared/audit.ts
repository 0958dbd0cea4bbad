// The audit log (ports/audit.ts) and the one way configuration is written with it:
// `audited` runs a change (compiled statements) in one transaction that first takes the
// chain's head (a row lock on PostgreSQL, the write lock on SQLite: changes are chained
// one at a time), reads the object before and after, and writes the entry and its
// `audit.recorded` event beside it. A change that changed nothing of the object leaves
// no entry (and no gap in the chain); its writes commit as any would. The transaction is a generator of statements (`Steps`) that each
// dialect drives: PostgreSQL awaits each one, SQLite runs them all in one synchronous
// block (sqlite-store.ts: nothing may interleave on its connection).
import type { CompiledQuery, Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import { auditActor, auditEntry, auditEvent, type AuditHead, type AuditObject, type AuditRow } from '../../domain/audit.ts';
import type { AuditFilter, AuditLog } from '../ports/audit.ts';

type State = Record<string, unknown> | undefined;
/** What a statement gave back: its rows (a read, or RETURNING) and how many rows it changed. */
export interface Step { rows: Record<string, unknown>[]; affected: number }
export type Steps<T> = Generator<CompiledQuery, T, Step>;

export interface AuditTarget {
  object: AuditObject;
  id: string;
  /** the account it belongs to; null for what every account shares; undefined: the state's account_id */
  account?: string | null;
  /** reads the object as stored, in the change's transaction */
  read: CompiledQuery;
  /** the state from what `read` found (default: the first row; undefined when none) */
  state?: (rows: Record<string, unknown>[]) => State;
}

export abstract class AuditBase implements AuditLog {
  readonly db: Kysely<Database>;
  constructor(db: Kysely<Database>) { this.db = db; }

  /** Runs `steps` as one transaction (the dialect stores drive them; see the top). */
  protected async runSteps<T>(steps: Steps<T>): Promise<T> {
    return this.db.transaction().execute(async (trx) => {
      let r = steps.next();
      while (!r.done) {
        const q = await trx.executeQuery<Record<string, unknown>>(r.value);
        r = steps.next({ rows: q.rows, affected: Number(q.numAffectedRows ?? 0) });
      }
      return r.value;
    });
  }

  /** Takes the chain's head until the transaction ends (a row lock; on SQLite the write lock) and reads it. */
  #lockHead(): CompiledQuery {
    return this.db.updateTable('audit_head').set((eb) => ({ n: eb.ref('n') })).where('id', '=', 1).returning(['n', 'hash']).compile();
  }

  /** Runs `writes` with their audit entry; answers the rows the first one changed and the object after. */
  protected async audited(target: AuditTarget, writes: CompiledQuery[]): Promise<{ affected: number; after: State }> {
    const head = this.#lockHead();
    const db = this.db;
    function* steps(): Steps<{ affected: number; after: State }> {
      const h = (yield head).rows[0] as { n: number | string; hash: string };
      const state = target.state ?? ((rows) => rows[0]);
      const before = normal(state((yield target.read).rows));
      let affected: number | undefined;
      for (const w of writes) { const n = (yield w).affected; affected ??= n; }
      const after = normal(state((yield target.read).rows));
      const accountId = target.account !== undefined ? target.account : ((after ?? before)?.account_id as string | undefined) ?? null;
      const entry = auditEntry({ seq: Number(h.n) + 1, prev: h.hash, at: Date.now(), actor: auditActor(), object: target.object, objectId: target.id, accountId, before, after });
      if (entry) {
        yield db.insertInto('audit_log').values(entry).compile();
        yield db.updateTable('audit_head').set({ n: entry.seq, hash: entry.hash }).where('id', '=', 1).compile();
        yield db.insertInto('outbox').values(auditEvent(entry)).compile();
      }
      return { affected: affected ?? 0, after };
    }
    return this.runSteps(steps());
  }

  async listAudit(f: AuditFilter): Promise<AuditRow[]> {
    let q = this.db.selectFrom('audit_log').selectAll();
    if (f.accountId !== undefined) q = q.where('account_id', '=', f.accountId);
    if (f.object !== undefined) q = q.where('object', '=', f.object);
    if (f.objectId !== undefined) q = q.where('object_id', '=', f.objectId);
    if (f.actorId !== undefined) q = q.where('actor_id', '=', f.actorId);
    if (f.since !== undefined) q = q.where('at', '>=', f.since);
    if (f.until !== undefined) q = q.where('at', '<', f.until);
    if (f.beforeSeq !== undefined) q = q.where('seq', '<', f.beforeSeq);
    return (await q.orderBy('seq', 'desc').limit(f.limit).execute()).map(numeric);
  }

  async auditHead(): Promise<AuditHead> {
    const h = await this.db.selectFrom('audit_head').select(['n', 'hash', 'checkpoint_seq', 'checkpoint_hash']).where('id', '=', 1).executeTakeFirstOrThrow();
    return { n: Number(h.n), hash: h.hash, checkpoint_seq: Number(h.checkpoint_seq), checkpoint_hash: h.checkpoint_hash };
  }

  async auditChain(afterSeq: number, limit: number): Promise<AuditRow[]> {
    return (await this.db.selectFrom('audit_log').selectAll().where('seq', '>', afterSeq).orderBy('seq').limit(limit).execute()).map(numeric);
  }

  async purgeAudit(before: number, limit: number): Promise<number> {
    const db = this.db;
    const head = this.#lockHead();
    return this.runSteps((function* (): Steps<number> {
      // The head first: no change is chained while the cut moves.
      yield head;
      const cut = (yield db.selectFrom('audit_log').select(['seq', 'hash']).where('at', '<', before).orderBy('seq').limit(limit).compile()).rows;
      if (cut.length === 0) return 0;
      const last = cut[cut.length - 1] as { seq: number; hash: string };
      yield db.deleteFrom('audit_log').where('seq', '<=', last.seq).compile();
      yield db.updateTable('audit_head').set({ checkpoint_seq: last.seq, checkpoint_hash: last.hash }).where('id', '=', 1).compile();
      return cut.length;
    })());
  }
}

/** PostgreSQL answers bigint columns as text: times (…_at) are numbers in the log whichever database wrote it. */
function normal(s: State): State {
  if (!s) return s;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) out[k] = k.endsWith('_at') && typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  return out;
}

function numeric(r: AuditRow): AuditRow {
  return { ...r, seq: Number(r.seq), at: Number(r.at) };
}
