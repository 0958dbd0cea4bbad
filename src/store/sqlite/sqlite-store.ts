// The embedded store: node:sqlite in WAL mode with synchronous=FULL, so a committed
// transaction is on disk. The worker's own bookkeeping (claims, outcomes, receipts
// applied, webhooks finished) commits with synchronous=NORMAL instead: durable against a
// crash of the process (kill -9), not against a power cut, which may undo its last
// moments; those are redone from what is durable (a lease runs out and the message is
// sent again, at least once; a raw webhook is applied again, forward only). Every other
// write, intake and raw webhooks above all, stays FULL, and since the WAL is appended
// in order, its fsync makes every earlier commit durable too. node:sqlite is synchronous, so every transactional path here is
// one synchronous BEGIN…COMMIT block with cached prepared statements: nothing else can
// run on the connection in between, and one fsync covers a whole batch (group commit).
// Kysely (base-store) runs single statements on the same connection; it must never open
// a transaction of its own here, since its awaits would let these blocks interleave.
import { DatabaseSync, backup as sqliteBackup, type SQLInputValue } from 'node:sqlite';
import { closeSync, mkdirSync, openSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { BaseStore } from '../base-store.ts';
import type { Database } from '../schema.ts';
import { StatementCache, kyselyDatabase } from './node-sqlite-dialect.ts';
import type { AttemptRow, CallbackAttemptRow, CallbackFinish, CallbackRow, EventRow, InsertResult, MessagePartRow, MessageRow, NewMessage, OptOutRow, Outcome, ReceiptPlanner, ReceiptResult, ReceiptWrite, WebhookRow } from '../store.ts';
import { SUPERSEDED_PART } from '../rows.ts';

const MESSAGE_COLUMNS = [
  'id', 'account_id', 'api_key_id', 'to_number', 'from_number', 'requested_from', 'country', 'body', 'encoding',
  'segments', 'price', 'currency', 'status', 'provider_id', 'provider_message_id', 'callback_url', 'metadata',
  'idempotency_key', 'send_at', 'expires_at', 'attempts', 'throttled_attempts', 'next_attempt_at', 'lease_owner',
  'error_code', 'error_message', 'provider_error_code', 'created_at', 'updated_at', 'sent_at', 'final_at', 'template_id', 'template_version', 'channel', 'voice_options',
  'failover_after_ms',
] as const satisfies readonly (keyof MessageRow)[];


export class SqliteStore extends BaseStore {
  readonly dialect = 'sqlite' as const;
  readonly path: string;
  readonly #conn: DatabaseSync;
  readonly #stmts: StatementCache;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const conn = new DatabaseSync(path);
    // WAL + FULL: a commit is durable once COMMIT returns. busy_timeout lets several
    // connections (an api and a worker process, the writer thread) share one file; it is
    // set first, so even switching to WAL waits for a lock instead of failing.
    // temp_store in memory: the savepoint that wraps each write of a shared transaction
    // (batch) journals every page it changes; in a temp file that was a third of all
    // bytes written under load (measured), for a journal that never outlives its commit.
    conn.exec('PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;');
    const stmts = new StatementCache(conn);
    super(new Kysely<Database>({ dialect: new SqliteDialect({ database: kyselyDatabase(stmts) }) }));
    this.path = path;
    this.#conn = conn;
    this.#stmts = stmts;
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
    if (this.#conn.isOpen) this.#conn.close();
  }

  #inBatch = false;

  /**
   * Several writes in one transaction, one commit: each write keeps its own savepoint,
   * so one that fails is undone alone. `durable`: commit with synchronous=FULL (some
   * write in it must be on disk when it resolves); otherwise NORMAL, as redoable writes do.
   */
  batch<T>(durable: boolean, fn: () => T): T {
    return this.#tx(() => {
      this.#inBatch = true;
      try { return fn(); } finally { this.#inBatch = false; }
    }, !durable);
  }

  /** Runs a transaction-control statement, prepared once (exec would parse it every time). */
  #control(sql: string): void {
    this.#stmts.get(sql).run();
  }

  /** `redoable`: worker bookkeeping that is redone after a power cut (commits without waiting for the disk). */
  #tx<T>(fn: () => T, redoable = false): T {
    if (this.#inBatch) {
      this.#control('SAVEPOINT write');
      try {
        const r = fn();
        this.#control('RELEASE write');
        return r;
      } catch (err) {
        this.#control('ROLLBACK TO write');
        this.#control('RELEASE write');
        throw err;
      }
    }
    if (redoable) this.#control('PRAGMA synchronous = NORMAL');
    // BEGIN IMMEDIATE takes the write lock up front, so a concurrent writer in another
    // process waits (busy_timeout) instead of failing half-way.
    this.#control('BEGIN IMMEDIATE');
    try {
      const r = fn();
      this.#control('COMMIT');
      return r;
    } catch (err) {
      if (this.#conn.isTransaction) this.#control('ROLLBACK');
      throw err;
    } finally {
      if (redoable) this.#control('PRAGMA synchronous = FULL');
    }
  }

  async insertMessages(batch: NewMessage[]): Promise<InsertResult[]> {
    const insertMsg = this.#stmts.get(INSERT_MESSAGE.sql);
    const insertKey = this.#stmts.get('INSERT INTO idempotency_keys (account_id, key, request_hash, message_id, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING');
    const findKey = this.#stmts.rows('SELECT k.request_hash AS hash, m.* FROM idempotency_keys k JOIN messages m ON m.id = k.message_id WHERE k.account_id = ? AND k.key = ?');
    // domain/phone.ts optOutRefuses, in SQL: account-wide, this sender's, or any when routing picks the sender.
    const findOptOut = this.#stmts.rows(`SELECT * FROM opt_outs WHERE account_id = ? AND number = ? AND (sender = '' OR ? IS NULL OR sender = ?) ORDER BY created_at DESC LIMIT 1`);
    return this.#tx(() => batch.map(({ row, idempotency, checkOptOut }): InsertResult => {
      if (checkOptOut) {
        const optOut = findOptOut.get(row.account_id, row.to_number, row.from_number, row.from_number) as OptOutRow | undefined;
        if (optOut) return { kind: 'opted_out', optOut };
      }
      if (idempotency) {
        const r = insertKey.run(row.account_id, idempotency.key, idempotency.hash, row.id, row.created_at);
        if (r.changes === 0) {
          const existing = findKey.get(row.account_id, idempotency.key) as (MessageRow & { hash: string }) | undefined;
          if (!existing) throw new Error('idempotency key without its message');
          const { hash, ...message } = existing;
          return hash === idempotency.hash ? { kind: 'duplicate', message } : { kind: 'conflict' };
        }
      }
      insertMsg.run(...INSERT_MESSAGE.values(row.channel ? row : { ...row, channel: 'sms' }));
      return { kind: 'inserted', message: row };
    }));
  }

  /** Raw webhooks, in one transaction of prepared inserts: on disk before the provider gets its 200. */
  override async insertWebhooks(rows: WebhookRow[]): Promise<void> {
    const insert = this.#stmts.get(INSERT_WEBHOOK.sql);
    this.#tx(() => { for (const r of rows) insert.run(...INSERT_WEBHOOK.values(r)); });
  }

  async purgeMessages(finalBefore: number, limit: number, archive?: (rows: MessageRow[]) => void): Promise<number> {
    const select = this.#stmts.rows('SELECT * FROM messages WHERE final_at < ? ORDER BY final_at LIMIT ?');
    const deletes = [
      'DELETE FROM callback_attempts WHERE callback_id IN (SELECT id FROM callbacks WHERE message_id = ?)',
      'DELETE FROM callbacks WHERE message_id = ?', 'DELETE FROM attempts WHERE message_id = ?', 'DELETE FROM events WHERE message_id = ?',
      'DELETE FROM message_parts WHERE message_id = ?', 'DELETE FROM idempotency_keys WHERE message_id = ?', 'DELETE FROM messages WHERE id = ?',
    ].map((q) => this.#stmts.get(q));
    return this.#tx(() => {
      const rows = select.all(finalBefore, limit) as unknown as MessageRow[];
      if (rows.length > 0) archive?.(rows);
      for (const r of rows) for (const d of deletes) d.run(r.id);
      return rows.length;
    });
  }

  /** An online copy (node:sqlite's backup API): consistent, and writers go on meanwhile. */
  async backup(path: string): Promise<void> {
    await sqliteBackup(this.#conn, path);
  }

  async claimDue(owner: string, now: number, leaseMs: number, limit: number): Promise<MessageRow[]> {
    const stmt = this.#stmts.rows(`
      UPDATE messages SET status = 'sending', lease_owner = ?, next_attempt_at = ?, attempts = attempts + 1, updated_at = ?,
        interrupted = CASE WHEN status = 'sending' THEN 1 ELSE interrupted END
      WHERE id IN (
        SELECT id FROM messages
        WHERE status IN ('scheduled', 'queued', 'sending') AND next_attempt_at <= ?
        ORDER BY next_attempt_at LIMIT ?)
      RETURNING *`);
    const rows = this.#tx(() => stmt.all(owner, now + leaseMs, now, now, limit), true) as unknown as MessageRow[];
    return rows.sort((a, b) => (a.next_attempt_at ?? 0) - (b.next_attempt_at ?? 0) || (a.id < b.id ? -1 : 1));
  }

  /** Intake checks every send's recipient: one prepared statement instead of a Kysely round. */
  override async listOptOuts(accountId: string | null, number?: string): Promise<OptOutRow[]> {
    if (number === undefined || accountId === null) return super.listOptOuts(accountId, number);
    return this.#stmts.rows('SELECT * FROM opt_outs WHERE account_id = ? AND number = ? ORDER BY created_at DESC').all(accountId, number) as unknown as OptOutRow[];
  }

  async recordOutcomes(outcomes: Outcome[]): Promise<Set<string>> {
    const applied = new Set<string>();
    const insertAttempt = this.#stmts.get(INSERT_ATTEMPT.sql);
    const insertEvent = this.#stmts.get(INSERT_EVENT.sql);
    const insertCallback = this.#stmts.get(INSERT_CALLBACK.sql);
    const insertPart = this.#stmts.get(INSERT_PART.sql);
    const supersede = this.#stmts.get('UPDATE message_parts SET part_index = part_index + ? WHERE message_id = ? AND part_index < ?');
    this.#tx(() => {
      for (const o of outcomes) {
        const set = setClause({ ...o.set, updated_at: o.now, lease_owner: null, interrupted: 0 });
        const r = this.#stmts.get(`UPDATE messages SET ${set.sql} WHERE id = ? AND lease_owner = ? AND status = 'sending'`).run(...set.values, o.messageId, o.leaseOwner);
        if (r.changes === 0) continue; // lease lost: another worker owns this message now
        applied.add(o.messageId);
        for (const a of o.attempts) insertAttempt.run(...INSERT_ATTEMPT.values(a));
        if (o.event) insertEvent.run(...INSERT_EVENT.values(o.event));
        if (o.callback) insertCallback.run(...INSERT_CALLBACK.values(o.callback));
        if (o.supersedeParts) supersede.run(SUPERSEDED_PART, o.messageId, SUPERSEDED_PART);
        for (const p of o.parts) insertPart.run(...INSERT_PART.values(p));
      }
    }, true);
    return applied;
  }

  async finishWebhooks(done: { id: string; error: string | null }[], deferred: string[], until: number, now: number): Promise<void> {
    const finish = this.#stmts.get('UPDATE webhooks SET processed_at = ?, lease_until = NULL, error = ? WHERE id = ?');
    const defer = this.#stmts.get('UPDATE webhooks SET process_after = ?, lease_until = NULL, processed_at = NULL WHERE id = ?');
    this.#tx(() => {
      for (const d of done) finish.run(now, d.error, d.id);
      for (const id of deferred) defer.run(until, id);
    }, true);
  }

  override async finishCallbacks(done: { id: string; set: CallbackFinish; attempt: CallbackAttemptRow }[], now: number): Promise<void> {
    const insertAttempt = this.#stmts.get(INSERT_CALLBACK_ATTEMPT.sql);
    const update = this.#stmts.get('UPDATE callbacks SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?, delivered_at = ?, lease_until = NULL, updated_at = ? WHERE id = ?');
    this.#tx(() => {
      for (const d of done) {
        insertAttempt.run(...INSERT_CALLBACK_ATTEMPT.values(d.attempt));
        update.run(d.set.status, d.set.attempts, d.set.next_attempt_at, d.set.last_error, d.set.delivered_at, now, d.id);
      }
    }, true);
  }

  async claimWebhooks(now: number, leaseMs: number, limit: number): Promise<WebhookRow[]> {
    const stmt = this.#stmts.rows(`
      UPDATE webhooks SET lease_until = ?, attempts = attempts + 1
      WHERE id IN (SELECT id FROM webhooks WHERE processed_at IS NULL AND process_after <= ? AND (lease_until IS NULL OR lease_until <= ?) ORDER BY process_after LIMIT ?)
      RETURNING *`);
    const rows = this.#tx(() => stmt.all(now + leaseMs, now, now, limit), true) as unknown as WebhookRow[];
    return rows.sort((a, b) => a.process_after - b.process_after || (a.id < b.id ? -1 : 1));
  }

  async applyReceipts(receipts: ReceiptWrite[], now: number, planReceipt: ReceiptPlanner): Promise<ReceiptResult[]> {
    // The message a receipt's part belongs to, in one lookup (the receipt path is hot).
    const findMessage = this.#stmts.rows('SELECT m.* FROM message_parts p JOIN messages m ON m.id = p.message_id WHERE p.provider_message_id = ? AND p.provider_id = ?');
    const findParts = this.#stmts.rows('SELECT * FROM message_parts WHERE message_id = ? ORDER BY part_index');
    const updatePart = this.#stmts.get('UPDATE message_parts SET status = ?, error_code = ?, error_message = ?, provider_error_code = ?, updated_at = ? WHERE message_id = ? AND part_index = ?');
    const insertEvent = this.#stmts.get(INSERT_EVENT.sql.replace('INSERT INTO', 'INSERT OR IGNORE INTO'));
    const insertCallback = this.#stmts.get(INSERT_CALLBACK.sql);
    return this.#tx(() => receipts.map((r): ReceiptResult => {
        const message = findMessage.get(r.providerMessageId, r.providerId) as MessageRow | undefined;
        if (!message) return { message: null, changed: false, previous: null };
        const plan = planReceipt(message, findParts.all(message.id) as unknown as MessagePartRow[], r, now);
        insertEvent.run(...INSERT_EVENT.values(plan.event));
        if (plan.part) {
          const p = plan.part.set;
          updatePart.run(p.status, p.error_code, p.error_message, p.provider_error_code, p.updated_at, message.id, plan.part.index);
        }
        if (!plan.set) return { message, changed: false, previous: message.status };
        // Only the columns that change: SQLite rewrites the index entries of every column
        // named in SET, even to the same value (next_attempt_at and sent_at usually are).
        const set = setClause(plan.set, message);
        if (set.values.length > 0) this.#stmts.get(`UPDATE messages SET ${set.sql} WHERE id = ?`).run(...set.values, message.id);
        if (plan.callback) insertCallback.run(...INSERT_CALLBACK.values(plan.callback));
        return { message: { ...message, ...plan.set }, changed: true, previous: message.status };
    }), true);
  }
}

// Positional parameters: node:sqlite binds `?` by index, far cheaper than `@name` (each
// name is looked up per row), and the hot inserts carry up to 35 columns.
type Value = SQLInputValue;

/** An INSERT of these columns, and the row → values in their order (undefined → NULL). */
function insertOf<R extends object>(table: string, columns: readonly (keyof R & string)[], verb = 'INSERT'): { sql: string; values: (row: R) => Value[] } {
  return {
    sql: `${verb} INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
    values: (row) => columns.map((c) => (row[c] ?? null) as Value),
  };
}

const INSERT_MESSAGE = insertOf<MessageRow>('messages', MESSAGE_COLUMNS);
const INSERT_WEBHOOK = insertOf<WebhookRow>('webhooks', ['id', 'provider_id', 'kind', 'url', 'headers', 'body', 'received_at', 'process_after', 'processed_at', 'lease_until', 'attempts', 'error']);
const INSERT_CALLBACK = insertOf<CallbackRow>('callbacks', ['id', 'account_id', 'api_key_id', 'message_id', 'url', 'type', 'payload', 'status', 'attempts', 'next_attempt_at', 'lease_until', 'last_error', 'created_at', 'updated_at', 'delivered_at']);
const INSERT_PART = insertOf<MessagePartRow>('message_parts', ['message_id', 'part_index', 'provider_id', 'provider_message_id', 'status', 'error_code', 'error_message', 'provider_error_code', 'created_at', 'updated_at', 'reconciled_at'], 'INSERT OR IGNORE');
const INSERT_CALLBACK_ATTEMPT = insertOf<CallbackAttemptRow>('callback_attempts', ['id', 'callback_id', 'attempt', 'status_code', 'error', 'started_at', 'duration_ms']);
const INSERT_EVENT = insertOf<EventRow>('events', ['id', 'message_id', 'type', 'status', 'provider_id', 'provider_status', 'error_code', 'webhook_id', 'occurred_at', 'created_at', 'detail']);
const INSERT_ATTEMPT = insertOf<AttemptRow>('attempts', ['id', 'message_id', 'attempt', 'provider_id', 'from_number', 'outcome', 'error_code', 'error_message', 'provider_error_code', 'provider_message_id', 'started_at', 'finished_at', 'failover', 'route_explanation']);

/** `col = ?, …` for the defined fields of `set` (those that differ from `current`, when given), and their values in order. */
function setClause(set: object, current?: object): { sql: string; values: Value[] } {
  const cols: string[] = [];
  const values: Value[] = [];
  for (const [k, v] of Object.entries(set)) {
    if (v === undefined || (current && (current as Record<string, unknown>)[k] === v)) continue;
    cols.push(`${k} = ?`);
    values.push(v as Value);
  }
  return { sql: cols.join(', '), values };
}
