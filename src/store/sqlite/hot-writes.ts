// The hot writes the embedded store runs in its own transactions: claims, outcomes,
// intake, raw webhooks, receipts, finished webhooks and callbacks. Each is a synchronous
// function of the connection, so it runs start to end inside the transaction (or the
// writer thread's savepoint, writer-thread.ts) that calls it: an `await` cannot compile
// into one, and `hotWrites` refuses a member that returns a promise. The store calls
// them on its own connection (sqlite-store.ts); the writer thread on its own
// (threaded-store.ts), which posts to the thread exactly the names listed here.
import type { SQLInputValue } from 'node:sqlite';
import type { SqliteConn } from './conn.ts';
import type { AttemptRow, OutboxRow, CallbackAttemptRow, CallbackFinish, CallbackRow, EventRow, InsertResult, MessagePartRow, MessageRow, NewMessage, OptOutRow, Outcome, ReceiptPlanner, ReceiptResult, ReceiptWrite, WebhookRow } from '../store.ts';
import { SUPERSEDED_PART } from '../rows.ts';
import { MESSAGE_COLUMNS } from '../rows/messages.ts';
import { WEBHOOK_COLUMNS } from '../rows/webhooks-callbacks.ts';
import { OUTBOX_COLUMNS } from '../rows/outbox.ts';
import { WEBHOOK_DUE } from '../shared/webhook-due.ts';
import { BULK_LANE, TURN_SCAN } from '../../domain/lanes.ts';
import { LATE_CANDIDATES, TURN_CANDIDATES, byTurn, stampTurn } from '../claim.ts';

/** Each member a synchronous function: one that returns a promise fails to type-check here. */
type Synchronous<T> = { [K in keyof T]: T[K] extends (c: SqliteConn, ...a: never[]) => infer R ? (R extends PromiseLike<unknown> ? 'a hot write must be synchronous' : T[K]) : never };
function hotWrites<T extends Synchronous<T>>(writes: T): T { return writes; }

export const HOT_WRITES = hotWrites({
  insertMessages(c: SqliteConn, batch: NewMessage[]): InsertResult[] {
    const insertMsg = c.stmts.get(INSERT_MESSAGE.sql);
    const insertKey = c.stmts.get('INSERT INTO idempotency_keys (account_id, key, request_hash, message_id, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING');
    const findKey = c.stmts.rows('SELECT k.request_hash AS hash, m.* FROM idempotency_keys k JOIN messages m ON m.id = k.message_id WHERE k.account_id = ? AND k.key = ?');
    // domain/consent.ts optOutRefuses, in SQL: account-wide, this sender's, or any when routing
    // picks the sender; of every topic (unless only topics apply), or of the message's.
    const findOptOut = c.stmts.rows(`SELECT * FROM opt_outs WHERE account_id = ? AND number = ? AND (sender = '' OR ? IS NULL OR sender = ?)
      AND ((topic = '' AND ? = 0) OR topic = ?) ORDER BY created_at DESC LIMIT 1`);
    // A flow's last waiting turn key (domain/lanes.ts), one seek per status on messages_open.
    const lastKey = c.stmts.rows(`SELECT max(k) AS k FROM (
      SELECT max(fair_key) AS k FROM messages WHERE account_id = ? AND status = 'queued' AND lane = ? AND final_at IS NULL
      UNION ALL SELECT max(fair_key) FROM messages WHERE account_id = ? AND status = 'sending' AND lane = ? AND final_at IS NULL)`);
    const insertOutbox = c.stmts.get(INSERT_OUTBOX.sql);
    const last = new Map<string, number | null>();
    return c.tx(() => batch.map(({ row, idempotency, checkOptOut, optOutTopicsOnly, weight, outbox }): InsertResult => {
      if (checkOptOut) {
        const optOut = findOptOut.get(row.account_id, row.to_number, row.from_number, row.from_number, optOutTopicsOnly ? 1 : 0, row.topic ?? null) as OptOutRow | undefined;
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
      stampTurn(row, weight, last, (account, lane) => (lastKey.get(account, lane, account, lane)?.k as number | null) ?? null);
      insertMsg.run(...INSERT_MESSAGE.values(row.channel ? row : { ...row, channel: 'sms' }));
      if (outbox) for (const e of outbox) insertOutbox.run(...INSERT_OUTBOX.values(e));
      return { kind: 'inserted', message: row };
    }));
  },

  /** Raw webhooks, in one transaction of prepared inserts: on disk before the provider gets its 200. */
  insertWebhooks(c: SqliteConn, rows: WebhookRow[]): void {
    const insert = c.stmts.get(INSERT_WEBHOOK.sql);
    c.tx(() => { for (const r of rows) insert.run(...INSERT_WEBHOOK.values(r)); });
  },

  /** Due messages by lane and turn, the bulk lane's share first (store/ports/ledger.ts, domain/lanes.ts). */
  claimDue(c: SqliteConn, owner: string, now: number, leaseMs: number, limit: number, bulkShare = 0): MessageRow[] {
    const claim = `UPDATE messages SET status = 'sending', lease_owner = :owner, next_attempt_at = :lease, attempts = attempts + 1, updated_at = :now,
        interrupted = CASE WHEN status = 'sending' THEN 1 ELSE interrupted END`;
    const inTurn = c.stmts.rows(`WITH ${TURN_CANDIDATES}
      ${claim} WHERE id IN (SELECT id FROM candidates GROUP BY id ORDER BY min(src), min(lane), min(fair_key) LIMIT :limit) RETURNING *`);
    const late = c.stmts.rows(`${claim} WHERE id IN (${LATE_CANDIDATES}) RETURNING *`);
    const lease = { owner, lease: now + leaseMs, now };
    const rows = c.tx(() => {
      const got = inTurn.allNamed({ ...lease, limit, pick: limit, share: Math.min(bulkShare, limit), scan: TURN_SCAN, bulk: BULK_LANE }) as unknown as MessageRow[];
      // The turn window came up short (most of it waits for a retry): the oldest due fill the claim.
      return got.length < limit ? [...got, ...late.allNamed({ ...lease, late: limit - got.length }) as unknown as MessageRow[]] : got;
    }, true);
    return rows.sort(byTurn);
  },

  recordOutcomes(c: SqliteConn, outcomes: Outcome[]): Set<string> {
    const applied = new Set<string>();
    const insertAttempt = c.stmts.get(INSERT_ATTEMPT.sql);
    const insertEvent = c.stmts.get(INSERT_EVENT.sql);
    const insertCallback = c.stmts.get(INSERT_CALLBACK.sql);
    const insertPart = c.stmts.get(INSERT_PART.sql);
    const insertOutbox = c.stmts.get(INSERT_OUTBOX.sql);
    const supersede = c.stmts.get('UPDATE message_parts SET part_index = part_index + ? WHERE message_id = ? AND part_index < ?');
    c.tx(() => {
      for (const o of outcomes) {
        const set = setClause({ ...o.set, updated_at: o.now, lease_owner: null, interrupted: 0 });
        const r = c.stmts.get(`UPDATE messages SET ${set.sql} WHERE id = ? AND lease_owner = ? AND status = 'sending'`).run(...set.values, o.messageId, o.leaseOwner);
        if (r.changes === 0) continue; // lease lost: another worker owns this message now
        applied.add(o.messageId);
        for (const a of o.attempts) insertAttempt.run(...INSERT_ATTEMPT.values(a));
        if (o.event) insertEvent.run(...INSERT_EVENT.values(o.event));
        if (o.callback) insertCallback.run(...INSERT_CALLBACK.values(o.callback));
        if (o.outbox) for (const e of o.outbox) insertOutbox.run(...INSERT_OUTBOX.values(e));
        if (o.supersedeParts) supersede.run(SUPERSEDED_PART, o.messageId, SUPERSEDED_PART);
        for (const p of o.parts) insertPart.run(...INSERT_PART.values(p));
      }
    }, true);
    return applied;
  },

  finishWebhooks(c: SqliteConn, done: { id: string; error: string | null }[], deferred: string[], until: number, now: number): void {
    const finish = c.stmts.get('UPDATE webhooks SET processed_at = ?, lease_until = NULL, error = ? WHERE id = ?');
    const defer = c.stmts.get('UPDATE webhooks SET process_after = ?, lease_until = NULL, processed_at = NULL WHERE id = ?');
    c.tx(() => {
      for (const d of done) finish.run(now, d.error, d.id);
      for (const id of deferred) defer.run(until, id);
    }, true);
  },

  finishCallbacks(c: SqliteConn, done: { id: string; set: CallbackFinish; attempt: CallbackAttemptRow }[], now: number): void {
    const insertAttempt = c.stmts.get(INSERT_CALLBACK_ATTEMPT.sql);
    const update = c.stmts.get('UPDATE callbacks SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?, delivered_at = ?, lease_until = NULL, updated_at = ? WHERE id = ?');
    c.tx(() => {
      for (const d of done) {
        insertAttempt.run(...INSERT_CALLBACK_ATTEMPT.values(d.attempt));
        update.run(d.set.status, d.set.attempts, d.set.next_attempt_at, d.set.last_error, d.set.delivered_at, now, d.id);
      }
    }, true);
  },

  claimWebhooks(c: SqliteConn, now: number, leaseMs: number, limit: number): WebhookRow[] {
    const stmt = c.stmts.rows(`
      UPDATE webhooks SET lease_until = ?, attempts = attempts + 1
      WHERE id IN (SELECT id FROM webhooks WHERE processed_at IS NULL AND ${WEBHOOK_DUE} <= ? ORDER BY ${WEBHOOK_DUE} LIMIT ?)
      RETURNING *`);
    const rows = c.tx(() => stmt.all(now + leaseMs, now, limit), true) as unknown as WebhookRow[];
    return rows.sort((a, b) => a.process_after - b.process_after || (a.id < b.id ? -1 : 1));
  },

  applyReceipts(c: SqliteConn, receipts: ReceiptWrite[], now: number, planReceipt: ReceiptPlanner): ReceiptResult[] {
    // The message a receipt's part belongs to, in one lookup (the receipt path is hot).
    const findMessage = c.stmts.rows('SELECT m.* FROM message_parts p JOIN messages m ON m.id = p.message_id WHERE p.provider_message_id = ? AND p.provider_id = ?');
    const findParts = c.stmts.rows('SELECT * FROM message_parts WHERE message_id = ? ORDER BY part_index');
    const updatePart = c.stmts.get('UPDATE message_parts SET status = ?, error_code = ?, error_message = ?, provider_error_code = ?, updated_at = ? WHERE message_id = ? AND part_index = ?');
    const insertEvent = c.stmts.get(INSERT_EVENT.sql.replace('INSERT INTO', 'INSERT OR IGNORE INTO'));
    const insertCallback = c.stmts.get(INSERT_CALLBACK.sql);
    const insertOutbox = c.stmts.get(INSERT_OUTBOX.sql.replace('INSERT INTO', 'INSERT OR IGNORE INTO'));
    return c.tx(() => receipts.map((r): ReceiptResult => {
        const message = findMessage.get(r.providerMessageId, r.providerId) as MessageRow | undefined;
        if (!message) return { message: null, changed: false, previous: null };
        const plan = planReceipt(message, findParts.all(message.id) as unknown as MessagePartRow[], r, now);
        insertEvent.run(...INSERT_EVENT.values(plan.event));
        if (plan.outbox) for (const e of plan.outbox) insertOutbox.run(...INSERT_OUTBOX.values(e));
        if (plan.part) {
          const p = plan.part.set;
          updatePart.run(p.status, p.error_code, p.error_message, p.provider_error_code, p.updated_at, message.id, plan.part.index);
        }
        if (!plan.set) return { message, changed: false, previous: message.status };
        // Only the columns that change: SQLite rewrites the index entries of every column
        // named in SET, even to the same value (next_attempt_at and sent_at usually are).
        const set = setClause(plan.set, message);
        if (set.values.length > 0) c.stmts.get(`UPDATE messages SET ${set.sql} WHERE id = ?`).run(...set.values, message.id);
        if (plan.callback) insertCallback.run(...INSERT_CALLBACK.values(plan.callback));
        return { message: { ...message, ...plan.set }, changed: true, previous: message.status };
    }), true);
  }
});

export type HotWrites = typeof HOT_WRITES;

/** A change's callback and events, inside the caller's transaction (a cancel). */
export function insertAnnounced(c: SqliteConn, callback: CallbackRow | null, outbox: OutboxRow[]): void {
  if (callback) c.stmts.get(INSERT_CALLBACK.sql).run(...INSERT_CALLBACK.values(callback));
  for (const e of outbox) c.stmts.get(INSERT_OUTBOX.sql).run(...INSERT_OUTBOX.values(e));
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
const INSERT_WEBHOOK = insertOf<WebhookRow>('webhooks', WEBHOOK_COLUMNS);
const INSERT_CALLBACK = insertOf<CallbackRow>('callbacks', ['id', 'account_id', 'api_key_id', 'message_id', 'url', 'type', 'payload', 'status', 'attempts', 'next_attempt_at', 'lease_until', 'last_error', 'created_at', 'updated_at', 'delivered_at']);
const INSERT_PART = insertOf<MessagePartRow>('message_parts', ['message_id', 'part_index', 'provider_id', 'provider_message_id', 'status', 'error_code', 'error_message', 'provider_error_code', 'created_at', 'updated_at', 'reconciled_at'], 'INSERT OR IGNORE');
const INSERT_OUTBOX = insertOf<OutboxRow>('outbox', OUTBOX_COLUMNS);
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
