// The embedded store: node:sqlite in WAL mode with synchronous=FULL, so a committed
// transaction is on disk. The worker's own bookkeeping (claims, outcomes, receipts
// applied, webhooks finished) commits with synchronous=NORMAL instead: durable against a
// crash of the process (kill -9), not against a power cut, which may undo its last
// moments; those are redone from what is durable (a lease runs out and the message is
// sent again, at least once; a raw webhook is applied again, forward only). Every other
// write, intake and raw webhooks above all, stays FULL, and since the WAL is appended
// in order, its fsync makes every earlier commit durable too. node:sqlite is synchronous, so every transactional path
// (hot-writes.ts) is one synchronous BEGIN…COMMIT block with cached prepared statements:
// nothing else can run on the connection in between, and one fsync covers a whole batch.
// Kysely (base-store) runs single statements on the same connection; it must never open
// a transaction of its own here, since its awaits would let these blocks interleave.
import { backup as sqliteBackup, type SQLInputValue } from 'node:sqlite';
import type { Steps } from '../shared/audit.ts';
import { closeSync, openSync, rmSync, statSync } from 'node:fs';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { BaseStore } from '../base-store.ts';
import type { Database } from '../schema.ts';
import { kyselyDatabase } from './node-sqlite-dialect.ts';
import { SqliteConn } from './conn.ts';
import { HOT_WRITES, insertAnnounced } from './hot-writes.ts';
import type { Announce, AnnounceEvents, CancelResult, CallbackAttemptRow, CallbackFinish, InsertResult, MessageRow, NewMessage, OptOutRow, Outcome, ReceiptPlanner, ReceiptResult, ReceiptWrite, WebhookRow } from '../store.ts';

export class SqliteStore extends BaseStore {
  readonly dialect = 'sqlite' as const;
  readonly path: string;
  readonly #c: SqliteConn;

  constructor(path: string) {
    const c = new SqliteConn(path);
    super(new Kysely<Database>({ dialect: new SqliteDialect({ database: kyselyDatabase(c.stmts) }) }));
    this.path = path;
    this.#c = c;
  }

  protected metadataValue(key: string) {
    return sql<string>`json_extract(metadata, ${'$."' + key.replace(/"/g, '') + '"'})`;
  }

  /**
   * Kysely takes no migration lock on SQLite, so two processes starting together on one
   * file (an api and a worker) would both run a migration. A lock file next to the
   * database makes the second wait, then find every migration done. A lock left by a
   * process killed mid-migration is taken over after 60 s.
   */
  override async migrate(): Promise<void> {
    if (this.path === ':memory:') return super.migrate();
    const lock = `${this.path}.migrate-lock`;
    for (let waited = 0; ; waited += 50) {
      try { closeSync(openSync(lock, 'wx')); break; } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
        if (age > 60_000) { rmSync(lock, { force: true }); continue; }
        if (waited > 120_000) throw new Error(`another process holds ${lock}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    try { await super.migrate(); } finally { rmSync(lock, { force: true }); }
  }

  async close(): Promise<void> {
    await this.db.destroy();
    this.#c.close();
  }

  // The hot writes (hot-writes.ts), on this store's connection.
  async insertMessages(batch: NewMessage[]): Promise<InsertResult[]> { return HOT_WRITES.insertMessages(this.#c, batch); }
  override async insertWebhooks(rows: WebhookRow[]): Promise<void> { HOT_WRITES.insertWebhooks(this.#c, rows); }
  async claimDue(owner: string, now: number, leaseMs: number, limit: number, bulkShare?: number): Promise<MessageRow[]> { return HOT_WRITES.claimDue(this.#c, owner, now, leaseMs, limit, bulkShare); }
  async recordOutcomes(outcomes: Outcome[]): Promise<Set<string>> { return HOT_WRITES.recordOutcomes(this.#c, outcomes); }
  async claimWebhooks(now: number, leaseMs: number, limit: number): Promise<WebhookRow[]> { return HOT_WRITES.claimWebhooks(this.#c, now, leaseMs, limit); }
  async finishWebhooks(done: { id: string; error: string | null }[], deferred: string[], until: number, now: number): Promise<void> {
    HOT_WRITES.finishWebhooks(this.#c, done, deferred, until, now);
  }
  override async finishCallbacks(done: { id: string; set: CallbackFinish; attempt: CallbackAttemptRow }[], now: number): Promise<void> { HOT_WRITES.finishCallbacks(this.#c, done, now); }
  async applyReceipts(receipts: ReceiptWrite[], now: number, planReceipt: ReceiptPlanner): Promise<ReceiptResult[]> { return HOT_WRITES.applyReceipts(this.#c, receipts, now, planReceipt); }

  async purgeMessages(finalBefore: number, limit: number, archive?: (rows: MessageRow[]) => void): Promise<number> {
    const select = this.#c.stmts.rows('SELECT * FROM messages WHERE final_at < ? ORDER BY final_at LIMIT ?');
    const deletes = [
      'DELETE FROM callback_attempts WHERE callback_id IN (SELECT id FROM callbacks WHERE message_id = ?)',
      'DELETE FROM callbacks WHERE message_id = ?', 'DELETE FROM attempts WHERE message_id = ?', 'DELETE FROM events WHERE message_id = ?',
      'DELETE FROM message_parts WHERE message_id = ?', 'DELETE FROM idempotency_keys WHERE message_id = ?', 'DELETE FROM messages WHERE id = ?',
    ].map((q) => this.#c.stmts.get(q));
    return this.#c.tx(() => {
      const rows = select.all(finalBefore, limit) as unknown as MessageRow[];
      if (rows.length > 0) archive?.(rows);
      for (const r of rows) for (const d of deletes) d.run(r.id);
      return rows.length;
    });
  }

  // Transactions of their own: a synchronous block on this connection (see the top).
  protected override async runSteps<T>(steps: Steps<T>): Promise<T> {
    return this.#c.tx(() => {
      let r = steps.next();
      while (!r.done) {
        const q = r.value;
        const stmt = this.#c.stmts.get(q.sql);
        const params = q.parameters as SQLInputValue[];
        r = steps.next(stmt.columns().length > 0 ? { rows: stmt.all(...params) as Record<string, unknown>[], affected: 0 } : { rows: [], affected: Number(stmt.run(...params).changes) });
      }
      return r.value;
    });
  }

  override async cancelMessage(accountId: string, id: string, now: number, announce: Announce, announceEvents?: AnnounceEvents): Promise<CancelResult> {
    const cancel = this.#c.stmts.rows(`UPDATE messages SET status = 'canceled', final_at = ?, updated_at = ?, next_attempt_at = NULL, lease_owner = NULL
      WHERE id = ? AND account_id = ? AND status IN ('queued', 'scheduled') RETURNING *`);
    const row = this.#c.tx(() => {
      const row = cancel.get(now, now, id, accountId) as MessageRow | undefined;
      if (!row) return undefined;
      insertAnnounced(this.#c, announce(row, now), announceEvents?.(row, now) ?? []);
      return row;
    });
    if (row) return { kind: 'canceled', message: row };
    const existing = await this.getMessage(accountId, id);
    return existing ? { kind: 'not_cancelable', message: existing } : { kind: 'not_found' };
  }

  protected override readonly positionColumn = 'seq';
  #sequenced = 0;

  /** Nothing to sequence (seq is the position here): answers how many events came since the last call. */
  override async sequenceEvents(_limit: number, _now: number): Promise<number> {
    const top = (this.#c.stmts.rows('SELECT max(seq) AS top FROM outbox').get()?.top as number | null) ?? 0;
    const fresh = Math.max(0, top - this.#sequenced);
    this.#sequenced = top;
    return fresh;
  }

  /** An online copy (node:sqlite's backup API): consistent, and writers go on meanwhile. */
  async backup(path: string): Promise<void> {
    await sqliteBackup(this.#c.db, path);
  }

  /** Intake checks every send's recipient: one prepared statement instead of a Kysely round. */
  override async listOptOuts(accountId: string | null, number?: string): Promise<OptOutRow[]> {
    if (number === undefined || accountId === null) return super.listOptOuts(accountId, number);
    return this.#c.stmts.rows('SELECT * FROM opt_outs WHERE account_id = ? AND number = ? ORDER BY created_at DESC').all(accountId, number) as unknown as OptOutRow[];
  }
}
