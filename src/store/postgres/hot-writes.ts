// The PostgreSQL store's hot paths, one function each over the pool's Kysely: intake's
// batch insert (its NOTIFY riding on it), the claims (FOR UPDATE SKIP LOCKED) and the
// retention purge; outcomes and receipts are in bookkeeping.ts. postgres-store.ts
// delegates to them.
import type pg from 'pg';
import { CompiledQuery, type Kysely } from 'kysely';
import { CLAIM_CANDIDATES, byTurn, stampTurn } from '../claim.ts';
import { BULK_LANE, flowOf, LANE, TURN_SCAN } from '../../domain/lanes.ts';
import { optOutRefuses } from '../../domain/consent.ts';
import type { Database } from '../schema.ts';
import type { Claimed, InsertResult, MessageRow, NewMessage, OptOutRow, WebhookRow } from '../store.ts';
import { WEBHOOK_DUE } from '../shared/webhook-due.ts';
import { MESSAGE_COLUMNS } from '../rows/messages.ts';
import { WEBHOOK_COLUMNS } from '../rows/webhooks-callbacks.ts';
import { OUTBOX_COLUMNS } from '../rows/outbox.ts';

export const QUEUE_CHANNEL = 'switchboard_queue';
/** Raw webhooks stored: the processes that apply them listen (a receipt the api stored waited for a worker's poll). */
export const WEBHOOK_CHANNEL = 'switchboard_webhooks';

/**
 * A batch of new messages. Without idempotency keys it takes two statements and no
 * transaction: one read (the opt-outs and the turn keys its flows go behind) and the
 * insert. Under READ COMMITTED a transaction around them would see nothing more, and each
 * statement is a round trip (issue 26). A key must be taken with its message, atomically:
 * a batch with keys (or more than one insert's worth) runs in a transaction.
 */
/** `notify`: the insert NOTIFYs the workers (the process's NotifyPacer may say this window's was sent). */
export async function insertMessages(db: Kysely<Database>, batch: NewMessage[], pool?: pg.Pool, prepared = true, notify = true): Promise<InsertResult[]> {
  if (batch.length === 0) return [];
  if (batch.length > 500 || batch.some((b) => b.idempotency)) return db.transaction().execute((trx) => insertBatch(trx, batch, inKysely(trx), notify));
  return insertBatch(db, batch, pool ? onPool(pool, prepared) : inKysely(db), notify);
}

/**
 * Runs one of intake's statements: on the pool (`run`), or in a transaction through Kysely
 * (a batch with idempotency keys). Unprepared, intake's two statements were about 110 µs of
 * the database's CPU per message (measured in the server's log).
 */
type Exec = <R>(name: string, text: string, values: unknown[]) => Promise<R[]>;
/** One hot statement on the pool (intake, claims, raw webhooks): named, so parsed and planned once per connection, unless SWITCHBOARD_PG_PREPARED=off. */
async function run<R>(pool: pg.Pool, prepared: boolean, name: string, text: string, values: unknown[]): Promise<R[]> {
  return (await pool.query({ text, values, ...(prepared ? { name } : {}) })).rows as R[];
}
const onPool = (pool: pg.Pool, prepared: boolean): Exec => (name, text, values) => run(pool, prepared, name, text, values);
const inKysely = (db: Kysely<Database>): Exec => async <R>(_name: string, text: string, values: unknown[]) =>
  (await db.executeQuery(CompiledQuery.raw(text, values))).rows as R[];

/**
 * The insert, one statement whatever the batch: the rows as JSON, the columns fixed (so it
 * can be prepared), their message.accepted events by a CTE, and the NOTIFY that wakes the
 * workers riding on it (one per statement: PostgreSQL sends identical payloads once per
 * transaction), unless told not to.
 */
const q = (c: string) => `"${c}"`;
const columns = (names: readonly string[]) => names.map(q).join(', ');
const INSERT_QUIETLY = `
  WITH o AS (INSERT INTO outbox (${columns(OUTBOX_COLUMNS)}) SELECT ${columns(OUTBOX_COLUMNS)} FROM json_populate_recordset(NULL::outbox, $2::json))
  INSERT INTO messages (${columns(MESSAGE_COLUMNS)})
  SELECT ${MESSAGE_COLUMNS.map((c) => (c === 'channel' ? `coalesce("channel", 'sms')` : q(c))).join(', ')} FROM json_populate_recordset(NULL::messages, $1::json)`;
const INSERT_MESSAGES = `${INSERT_QUIETLY}
  RETURNING pg_notify('${QUEUE_CHANNEL}', '')`;

async function insertBatch(db: Kysely<Database>, batch: NewMessage[], exec: Exec, notify: boolean): Promise<InsertResult[]> {
  const results: (InsertResult | undefined)[] = new Array(batch.length);
  const { optOuts, turnKeys } = await readForIntake(exec, batch);
  // Opt-outs first: a refused message takes no idempotency key.
  batch.forEach((b, i) => {
    if (!b.checkOptOut) return;
    const optOut = optOuts.find((o) => o.account_id === b.row.account_id && o.number === b.row.to_number && optOutRefuses(o, { from: b.row.from_number, topic: b.row.topic ?? null }, b.optOutTopicsOnly));
    if (optOut) results[i] = { kind: 'opted_out', optOut };
  });
  const firstByKey = new Map<string, number>();
  const keyed: number[] = [];
  batch.forEach((b, i) => {
    if (results[i] || !b.idempotency) return;
    const k = `${b.row.account_id}\u0000${b.idempotency.key}`;
    if (firstByKey.has(k)) return; // resolved after the first of its key, below
    firstByKey.set(k, i);
    keyed.push(i);
  });
  if (keyed.length > 0) {
    const won = await db.insertInto('idempotency_keys')
      .values(keyed.map((i) => ({
        account_id: batch[i].row.account_id, key: batch[i].idempotency!.key, request_hash: batch[i].idempotency!.hash,
        message_id: batch[i].row.id, created_at: batch[i].row.created_at,
      })))
      .onConflict((oc) => oc.columns(['account_id', 'key']).doNothing())
      .returning(['message_id']).execute();
    const wonIds = new Set(won.map((w) => w.message_id));
    for (const i of keyed) {
      if (wonIds.has(batch[i].row.id)) continue;
      const existing = await db.selectFrom('idempotency_keys as k').innerJoin('messages as m', 'm.id', 'k.message_id')
        .selectAll('m').select('k.request_hash as hash')
        .where('k.account_id', '=', batch[i].row.account_id).where('k.key', '=', batch[i].idempotency!.key).executeTakeFirstOrThrow();
      const { hash, ...message } = existing;
      results[i] = hash === batch[i].idempotency!.hash ? { kind: 'duplicate', message } : { kind: 'conflict' };
    }
  }
  const toInsert = batch.filter((b, i) => results[i] === undefined && (!b.idempotency || firstByKey.get(`${b.row.account_id}\u0000${b.idempotency.key}`) === i));
  // Each new message goes behind its flow's last waiting turn key (domain/lanes.ts).
  const last = new Map<string, number | null>();
  for (const { row, weight } of toInsert) stampTurn(row, weight, last, (account, lane) => turnKeys.get(flowOf(account, lane)) ?? null);
  const [name, text] = notify ? ['switchboard_intake', INSERT_MESSAGES] : ['switchboard_intake_quietly', INSERT_QUIETLY];
  for (let i = 0; i < toInsert.length; i += 500) {
    const chunk = toInsert.slice(i, i + 500);
    await exec(name, text, [JSON.stringify(chunk.map((b) => b.row)), JSON.stringify(chunk.flatMap((b) => b.outbox ?? []))]);
  }
  batch.forEach((b, i) => { if (results[i] === undefined && toInsert.includes(b)) results[i] = { kind: 'inserted', message: b.row }; });
  // Later requests in this batch with an already-seen key follow the first one's fate.
  batch.forEach((b, i) => {
    if (results[i] !== undefined) return;
    const first = firstByKey.get(`${b.row.account_id}\u0000${b.idempotency!.key}`)!;
    const r = results[first]!;
    results[i] = r.kind === 'conflict' || r.kind === 'opted_out' || b.idempotency!.hash !== batch[first].idempotency!.hash ? { kind: 'conflict' } : { kind: 'duplicate', message: r.message };
  });
  return results as InsertResult[];
}

/**
 * What intake reads for a batch, in one statement: the opt-outs of the recipients it must
 * check, newest first, and each flow's last waiting turn key (two index seeks each on
 * messages_open). The columns are text and integers, so their JSON is what pg would parse.
 */
async function readForIntake(exec: Exec, batch: NewMessage[]): Promise<{ optOuts: OptOutRow[]; turnKeys: Map<string, number | null> }> {
  const checked = [...new Map(batch.filter((b) => b.checkOptOut).map((b) => [`${b.row.account_id}\u0000${b.row.to_number}`, b.row])).values()];
  const flows = new Map<string, { account: string; lane: number }>();
  for (const { row } of batch) flows.set(flowOf(row.account_id, row.lane), { account: row.account_id, lane: row.lane ?? LANE.normal });
  const [{ outs, turns }] = await exec<{ outs: OptOutRow[]; turns: [string, number, number | null][] }>('switchboard_intake_read', READ_FOR_INTAKE, [
    JSON.stringify(checked.map((c) => ({ account_id: c.account_id, number: c.to_number }))), JSON.stringify([...flows.values()].map((f) => ({ account_id: f.account, lane: f.lane }))),
  ]);
  return { optOuts: outs, turnKeys: new Map(turns.map(([account, lane, k]) => [flowOf(account, lane), k === null ? null : Number(k)])) };
}

/**
 * Intake's read: the opt-outs of the recipients $1, and the last turn key of each flow $2
 * (both JSON). As JSON, not arrays: the planner then cannot see how many there are, and
 * so plans the statement once for all batches (a generic plan; server log: planning it for
 * each batch's arrays took 0.42 ms a batch, six times the read itself).
 */
const READ_FOR_INTAKE = `
  SELECT
    (SELECT coalesce(json_agg(o ORDER BY o.created_at DESC), '[]'::json) FROM opt_outs o
      JOIN json_to_recordset($1::json) AS c(account_id text, number text) ON o.account_id = c.account_id AND o.number = c.number) AS outs,
    (SELECT json_agg(json_build_array(f.account_id, f.lane, GREATEST(
      (SELECT max(fair_key) FROM messages WHERE account_id = f.account_id AND status = 'queued' AND lane = f.lane AND final_at IS NULL),
      (SELECT max(fair_key) FROM messages WHERE account_id = f.account_id AND status = 'sending' AND lane = f.lane AND final_at IS NULL))))
     FROM json_to_recordset($2::json) AS f(account_id text, lane int)) AS turns`;

/** The database's clock in epoch milliseconds: the claim clock must not depend on each machine's. */
const DB_NOW = `(extract(epoch from clock_timestamp()) * 1000)::bigint`;
/** A paced claim's first CTE: takes the clock row `name` when `spacing` (SQL) has passed since it was last taken. */
const clockTick = (name: 'messages' | 'webhooks', spacing: string) =>
  `tick AS (UPDATE claim_clock SET at = ${DB_NOW} WHERE name = '${name}' AND at <= ${DB_NOW} - ${spacing} RETURNING 1)`;

/**
 * Due messages by lane and turn, the bulk lane's share first (store/claim.ts): one
 * statement. Candidates are chosen without locks, half again as many as wanted, then locked
 * with SKIP LOCKED and checked again: another worker claiming at the same moment takes
 * the next ones instead of waiting.
 */
export async function claimDue(pool: pg.Pool, owner: string, now: number, leaseMs: number, limit: number, bulkShare = 0, prepared = true, spacingMs = 0): Promise<Claimed<MessageRow>> {
  // A named prepared statement (parsed and planned once per connection): with each worker
  // claiming every batch window, re-sending and re-planning this long statement was most
  // of a claim's cost (measured: 2 workers 968–1,031 → 1,142–1,258 msg/s, their CPU per
  // message 429–454 → 329–370 µs, PostgreSQL's 940–1,033 → 773–867 µs). A pooler in
  // transaction mode that cannot keep prepared statements (PgBouncer before 1.21, or
  // without max_prepared_statements) needs SWITCHBOARD_PG_PREPARED=off.
  // Paced: the clock row is advanced only when the window has passed; the one-time filter
  // on it skips the whole choice otherwise (a claim that finds nothing, in one index read).
  // Two workers pacing at once: the second waits on the clock row's lock for the first
  // claim's statement, then finds the window not passed.
  const paced = spacingMs > 0;
  const claim = paced ? CLAIM_PACED : CLAIM;
  const rows = await run<MessageRow>(pool, prepared, claim.name, claim.text, claim.values({ owner, lease: now + leaseMs, now, limit, pick: Math.ceil(limit * 1.5), share: Math.min(bulkShare, limit), scan: TURN_SCAN, bulk: BULK_LANE, late: Math.ceil(limit * 1.5), spacing: spacingMs }));
  return (await pacedResult(pool, 'messages', rows, paced, limit)).sort(byTurn);
}

/**
 * A paced claim's rows and whether its window was refused: one row of NULLs with
 * `ticked` false when it claimed nothing because another process's claim took the window.
 */
const PACED_RESULT = 'SELECT claimed.*, EXISTS (SELECT 1 FROM tick) AS ticked FROM (SELECT 1) one LEFT JOIN claimed ON true';

/**
 * A paced claim's rows, `refused` when another process's claim took the window. One that
 * took all it asked for leaves the window open again: more is due, and the next paced claim
 * of any process may take it. Otherwise the process that took the window, claiming again at
 * once after each full claim, kept a backlog to itself while the others were refused every
 * window (CI: one of two workers sent all 300 messages).
 */
async function pacedResult<T extends { id: string }>(pool: pg.Pool, clock: 'messages' | 'webhooks', rows: (T & { ticked?: boolean })[], paced: boolean, limit: number): Promise<Claimed<T>> {
  if (!paced) return rows;
  const claimed: Claimed<T> = rows.filter((x) => x.id !== null).map(({ ticked: _t, ...row }) => row as unknown as T);
  if (rows[0]?.ticked === false) claimed.refused = true;
  else if (claimed.length >= limit) await pool.query('UPDATE claim_clock SET at = 0 WHERE name = $1', [clock]);
  return claimed;
}

/**
 * A statement written with `:name` parameters, turned into pg's `$n` form once, when the
 * module loads (a `::type` cast is left alone); `values` lays out a call's parameters in that order.
 */
function statement(name: string, text: string): { name: string; text: string; values: (params: Record<string, unknown>) => unknown[] } {
  const order: string[] = [];
  const pgText = text.replace(/(?<!:):([a-z]+)\b/g, (_, param: string) => {
    if (!order.includes(param)) order.push(param);
    return `$${order.indexOf(param) + 1}`;
  });
  return {
    name, text: pgText,
    values: (params) => order.map((param) => {
      if (!(param in params)) throw new Error(`no value for :${param}`);
      return params[param];
    }),
  };
}

const claimText = (paced: boolean) => `
    WITH ${paced ? `${clockTick('messages', ':spacing')},` : ''}
    ${CLAIM_CANDIDATES},
    picked AS (
      SELECT m.id FROM messages m
      JOIN (SELECT id, min(src) AS src, min(lane) AS lane, min(fair_key) AS fair_key FROM candidates GROUP BY id) c ON c.id = m.id
      WHERE m.status IN ('scheduled', 'queued', 'sending') AND m.next_attempt_at <= :now${paced ? ' AND EXISTS (SELECT 1 FROM tick)' : ''}
      ORDER BY c.src, c.lane, c.fair_key LIMIT :limit
      FOR UPDATE OF m SKIP LOCKED)
    ${paced ? ', claimed AS (' : ''}UPDATE messages m SET status = 'sending', lease_owner = :owner, next_attempt_at = :lease,
      attempts = m.attempts + 1, updated_at = :now,
      interrupted = CASE WHEN m.status = 'sending' THEN 1 ELSE m.interrupted END
    FROM picked WHERE m.id = picked.id
    RETURNING m.*${paced ? `) ${PACED_RESULT}` : ''}`;
const CLAIM = statement('switchboard_claim', claimText(false));
const CLAIM_PACED = statement('switchboard_claim_paced', claimText(true));

const claimWebhooksText = (paced: boolean) => `
    ${paced ? `WITH ${clockTick('webhooks', ':spacing')}, claimed AS (` : ''}
    UPDATE webhooks w SET lease_until = :lease, attempts = w.attempts + 1
    FROM (SELECT id FROM webhooks
          WHERE processed_at IS NULL AND ${WEBHOOK_DUE} <= :now${paced ? ' AND EXISTS (SELECT 1 FROM tick)' : ''}
          ORDER BY ${WEBHOOK_DUE} LIMIT :limit FOR UPDATE SKIP LOCKED) due
    WHERE w.id = due.id
    RETURNING w.*${paced ? `) ${PACED_RESULT}` : ''}`;
const CLAIM_WEBHOOKS = statement('switchboard_claim_webhooks', claimWebhooksText(false));
const CLAIM_WEBHOOKS_PACED = statement('switchboard_claim_webhooks_paced', claimWebhooksText(true));

export async function purgeMessages(db: Kysely<Database>, finalBefore: number, limit: number, archive?: (rows: MessageRow[]) => void): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const rows = await trx.selectFrom('messages').selectAll().where('final_at', '<', finalBefore).orderBy('final_at').limit(limit).forUpdate().skipLocked().execute();
    const ids = rows.map((r) => r.id);
    if (ids.length === 0) return 0;
    archive?.(rows);
    await trx.deleteFrom('callback_attempts').where('callback_id', 'in', (eb) => eb.selectFrom('callbacks').select('id').where('message_id', 'in', ids)).execute();
    for (const table of ['callbacks', 'attempts', 'events', 'message_parts', 'idempotency_keys'] as const) await trx.deleteFrom(table).where('message_id', 'in', ids).execute();
    await trx.deleteFrom('messages').where('id', 'in', ids).execute();
    return rows.length;
  });
}

/**
 * `spacingMs` > 0: paced, on the clock row `webhooks`, as claimDue's on `messages`; and, like
 * it, a named prepared statement (`prepared`): parsed and planned once per connection
 * (measured in the server's log, api + 4 workers: parse and bind 0.37 → 0.11 ms a claim).
 */
export async function claimWebhooks(pool: pg.Pool, now: number, leaseMs: number, limit: number, spacingMs = 0, prepared = true): Promise<Claimed<WebhookRow>> {
  const paced = spacingMs > 0;
  const claim = paced ? CLAIM_WEBHOOKS_PACED : CLAIM_WEBHOOKS;
  const rows = await run<WebhookRow>(pool, prepared, claim.name, claim.text, claim.values({ lease: now + leaseMs, now, limit, spacing: spacingMs }));
  return (await pacedResult(pool, 'webhooks', rows, paced, limit)).sort((a, b) => a.process_after - b.process_after || (a.id < b.id ? -1 : 1));
}

/**
 * Raw webhooks stored, and those applied marked so: fixed texts (the rows as JSON, the ids
 * as an array), prepared once per connection like intake's, where a multi-row INSERT or an
 * `IN` list was a new statement to parse and plan for every batch size. A store may NOTIFY
 * WEBHOOK_CHANNEL, once a statement, delivered when it commits.
 */
const INSERT_WEBHOOKS = `INSERT INTO webhooks (${columns(WEBHOOK_COLUMNS)}) SELECT ${columns(WEBHOOK_COLUMNS)} FROM json_populate_recordset(NULL::webhooks, $1::json)`;
const INSERT_WEBHOOKS_NOTIFY = `WITH stored AS (${INSERT_WEBHOOKS} RETURNING 1) SELECT pg_notify('${WEBHOOK_CHANNEL}', '') FROM (SELECT 1 FROM stored LIMIT 1) one`;
const WEBHOOKS_DONE = 'UPDATE webhooks SET processed_at = $1, lease_until = NULL, error = NULL WHERE id = ANY($2::text[])';

/** `notify`: NOTIFY WEBHOOK_CHANNEL (a process whose own processor applies what it stores need not wake the others). */
export async function insertWebhooks(pool: pg.Pool, rows: WebhookRow[], prepared = true, notify = true): Promise<void> {
  const [name, text] = notify ? ['switchboard_webhooks_insert_notify', INSERT_WEBHOOKS_NOTIFY] : ['switchboard_webhooks_insert', INSERT_WEBHOOKS];
  for (let i = 0; i < rows.length; i += 500) await run(pool, prepared, name, text, [JSON.stringify(rows.slice(i, i + 500))]);
}

export async function webhooksDone(pool: pg.Pool, ids: string[], now: number, prepared = true): Promise<void> {
  if (ids.length > 0) await run(pool, prepared, 'switchboard_webhooks_done', WEBHOOKS_DONE, [now, ids]);
}
