// The PostgreSQL store's hot paths, one function each over the pool's Kysely: intake's
// batch insert (its NOTIFY riding on it), the claim (FOR UPDATE SKIP LOCKED), outcomes
// and receipts in a few set-based statements per batch whatever its size, and the
// retention purge. postgres-store.ts delegates to them.
import type pg from 'pg';
import { sql, type Kysely, type Transaction } from 'kysely';
import { CLAIM_CANDIDATES, byTurn, stampTurn } from '../claim.ts';
import { BULK_LANE, flowOf, LANE, TURN_SCAN } from '../../domain/lanes.ts';
import { optOutRefuses } from '../../domain/phone.ts';
import type { Database } from '../schema.ts';
import type { CallbackRow, EventRow, InsertResult, MessagePartRow, MessageRow, NewMessage, Outcome, ReceiptPlanner, ReceiptResult, ReceiptWrite, WebhookRow } from '../store.ts';
import { SUPERSEDED_PART } from '../rows.ts';
import { WEBHOOK_DUE } from '../shared/webhook-due.ts';

export const QUEUE_CHANNEL = 'switchboard_queue';

export async function insertMessages(db: Kysely<Database>, batch: NewMessage[]): Promise<InsertResult[]> {
  return db.transaction().execute(async (trx) => {
    const results: (InsertResult | undefined)[] = new Array(batch.length);
    // Opt-outs first, in one query for the batch: a refused message takes no idempotency key.
    const checked = batch.filter((b) => b.checkOptOut);
    if (checked.length > 0) {
      const outs = await trx.selectFrom('opt_outs').selectAll()
        .where((eb) => eb.or(checked.map((b) => eb.and([eb('account_id', '=', b.row.account_id), eb('number', '=', b.row.to_number)]))))
        .orderBy('created_at', 'desc').execute();
      batch.forEach((b, i) => {
        if (!b.checkOptOut) return;
        const optOut = outs.find((o) => o.account_id === b.row.account_id && o.number === b.row.to_number && optOutRefuses(o.sender, b.row.from_number));
        if (optOut) results[i] = { kind: 'opted_out', optOut };
      });
    }
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
      const won = await trx.insertInto('idempotency_keys')
        .values(keyed.map((i) => ({
          account_id: batch[i].row.account_id, key: batch[i].idempotency!.key, request_hash: batch[i].idempotency!.hash,
          message_id: batch[i].row.id, created_at: batch[i].row.created_at,
        })))
        .onConflict((oc) => oc.columns(['account_id', 'key']).doNothing())
        .returning(['message_id']).execute();
      const wonIds = new Set(won.map((w) => w.message_id));
      for (const i of keyed) {
        if (wonIds.has(batch[i].row.id)) continue;
        const existing = await trx.selectFrom('idempotency_keys as k').innerJoin('messages as m', 'm.id', 'k.message_id')
          .selectAll('m').select('k.request_hash as hash')
          .where('k.account_id', '=', batch[i].row.account_id).where('k.key', '=', batch[i].idempotency!.key).executeTakeFirstOrThrow();
        const { hash, ...message } = existing;
        results[i] = hash === batch[i].idempotency!.hash ? { kind: 'duplicate', message } : { kind: 'conflict' };
      }
    }
    const toInsert = batch.filter((b, i) => results[i] === undefined && (!b.idempotency || firstByKey.get(`${b.row.account_id}\u0000${b.idempotency.key}`) === i));
    await stampTurns(trx, toInsert);
    for (let i = 0; i < toInsert.length; i += 500) {
      // The NOTIFY that wakes the workers rides on the insert (one round trip fewer);
      // PostgreSQL sends one notification per transaction for identical payloads.
      await trx.insertInto('messages').values(toInsert.slice(i, i + 500).map((b) => b.row))
        .returning(sql<string>`pg_notify(${QUEUE_CHANNEL}, '')`.as('notified')).execute();
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
  });
}

/**
 * Gives each new message its lane and turn key (domain/lanes.ts): behind its flow's last
 * waiting key, read for every flow of the batch in one statement (two index seeks each on
 * messages_open).
 */
async function stampTurns(trx: Transaction<Database>, batch: NewMessage[]): Promise<void> {
  if (batch.length === 0) return;
  const flows = new Map<string, { account: string; lane: number }>();
  for (const { row } of batch) flows.set(flowOf(row.account_id, row.lane), { account: row.account_id, lane: row.lane ?? LANE.normal });
  const r = await sql<{ account_id: string; lane: number; k: number | null }>`
    SELECT f.account_id, f.lane, GREATEST(
      (SELECT max(fair_key) FROM messages WHERE account_id = f.account_id AND status = 'queued' AND lane = f.lane AND final_at IS NULL),
      (SELECT max(fair_key) FROM messages WHERE account_id = f.account_id AND status = 'sending' AND lane = f.lane AND final_at IS NULL)) AS k
    FROM (VALUES ${sql.join([...flows.values()].map((f) => sql`(${f.account}::text, ${f.lane}::int)`))}) AS f(account_id, lane)`.execute(trx);
  const stored = new Map(r.rows.map((x) => [flowOf(x.account_id, x.lane), x.k === null ? null : Number(x.k)]));
  const last = new Map<string, number | null>();
  for (const { row, weight } of batch) stampTurn(row, weight, last, (account, lane) => stored.get(flowOf(account, lane)) ?? null);
}

/**
 * Due messages by lane and turn, the bulk lane's share first (store/claim.ts): one
 * statement. Candidates are chosen without locks, half again as many as wanted, then locked
 * with SKIP LOCKED and checked again: another worker claiming at the same moment takes
 * the next ones instead of waiting.
 */
export async function claimDue(pool: pg.Pool, owner: string, now: number, leaseMs: number, limit: number, bulkShare = 0): Promise<MessageRow[]> {
  // Not a named prepared statement: it measured no faster, and a pooler in transaction mode (PgBouncer) would break it.
  const r = await pool.query<MessageRow>(named(`
    WITH ${CLAIM_CANDIDATES},
    picked AS (
      SELECT m.id FROM messages m
      JOIN (SELECT id, min(src) AS src, min(lane) AS lane, min(fair_key) AS fair_key FROM candidates GROUP BY id) c ON c.id = m.id
      WHERE m.status IN ('scheduled', 'queued', 'sending') AND m.next_attempt_at <= :now
      ORDER BY c.src, c.lane, c.fair_key LIMIT :limit
      FOR UPDATE OF m SKIP LOCKED)
    UPDATE messages m SET status = 'sending', lease_owner = :owner, next_attempt_at = :lease,
      attempts = m.attempts + 1, updated_at = :now,
      interrupted = CASE WHEN m.status = 'sending' THEN 1 ELSE m.interrupted END
    FROM picked WHERE m.id = picked.id
    RETURNING m.*`, { owner, lease: now + leaseMs, now, limit, pick: Math.ceil(limit * 1.5), share: Math.min(bulkShare, limit), scan: TURN_SCAN, bulk: BULK_LANE, late: Math.ceil(limit * 1.5) }));
  return r.rows.sort(byTurn);
}

/** A statement with `:name` parameters, as pg takes it (`$n`; a `::type` cast is left alone). */
function named(text: string, params: Record<string, unknown>): pg.QueryConfig {
  const values: unknown[] = [];
  const at = new Map<string, number>();
  const sqlText = text.replace(/(?<!:):([a-z]+)\b/g, (_, name: string) => {
    if (!(name in params)) throw new Error(`no value for :${name}`);
    if (!at.has(name)) { values.push(params[name]); at.set(name, values.length); }
    return `$${at.get(name)}`;
  });
  return { text: sqlText, values };
}

/**
 * A batch of outcomes in one statement, whatever its size: one UPDATE per shape of outcome
 * (sent, retry, failed…) fenced by the lease, and the attempts, events, callbacks and parts
 * of the messages it updated inserted by data-modifying CTEs. Each statement is a round
 * trip, and with several workers on one database the round trips per batch, not the rows,
 * set each worker's CPU. A batch that supersedes parts (a resend after no receipt) updates
 * the parts it then inserts again, which one statement cannot order: it goes as a
 * transaction of several, as does one naming a message twice.
 */
export async function recordOutcomes(db: Kysely<Database>, outcomes: Outcome[]): Promise<Set<string>> {
  if (outcomes.length === 0) return new Set();
  const ids = new Set(outcomes.map((o) => o.messageId));
  if (ids.size < outcomes.length || outcomes.some((o) => o.supersedeParts)) return recordOutcomesInSteps(db, outcomes);
  const shapes = [...outcomeShapes(outcomes)];
  const updates = shapes.map(([shape, rows], i) => sql`${sql.id(`u${i}`)} AS (${updateByShape(shape, rows)})`);
  const applied = sql.join(shapes.map((_, i) => sql`SELECT id FROM ${sql.id(`u${i}`)}`), sql` UNION ALL `);
  const inserts = [
    insertFor('attempts', outcomes.flatMap((o) => o.attempts)),
    insertFor('events', outcomes.flatMap((o) => (o.event ? [o.event] : []))),
    insertFor('callbacks', outcomes.flatMap((o) => (o.callback ? [o.callback] : []))),
    insertFor('message_parts', outcomes.flatMap((o) => o.parts), { tail: sql`ON CONFLICT DO NOTHING` }),
  ].filter((q) => q !== null).map((q, i) => sql`${sql.id(`i${i}`)} AS (${q})`);
  const r = await sql<{ id: string }>`
    WITH ${sql.join([...updates, sql`applied AS (${applied})`, ...inserts])}
    SELECT id FROM applied`.execute(db);
  return new Set(r.rows.map((x) => x.id));
}

/** Outcomes grouped by the columns they set, each row with its id and lease owner. */
function outcomeShapes(outcomes: Outcome[]): Map<string, Record<string, unknown>[]> {
  const shapes = new Map<string, Record<string, unknown>[]>();
  for (const o of outcomes) {
    const { lease_owner: _released, id: _id, ...fields } = o.set as Partial<MessageRow>;
    const set = definedFields({ ...fields, updated_at: o.now, interrupted: 0 });
    const shape = Object.keys(set).sort().join(',');
    const rows = shapes.get(shape) ?? [];
    rows.push({ ...set, id: o.messageId, lease_owner: o.leaseOwner });
    shapes.set(shape, rows);
  }
  return shapes;
}

/** One UPDATE for the outcomes of one shape; the lease fences every row. */
function updateByShape(shape: string, rows: Record<string, unknown>[]) {
  return sql<{ id: string }>`
    UPDATE messages m SET ${sql.join(shape.split(',').map((c) => sql`${sql.ref(c)} = v.${sql.ref(c)}`))}, lease_owner = NULL
    FROM json_populate_recordset(NULL::messages, ${JSON.stringify(rows)}::json) v
    WHERE m.id = v.id AND m.lease_owner = v.lease_owner AND m.status = 'sending'
    RETURNING m.id`;
}

/** Rows of a message's own table, inserted only for the messages the batch updated (the CTE `applied`), or all of them. */
function insertFor(table: 'attempts' | 'events' | 'callbacks' | 'message_parts', rows: object[], opts: { tail?: ReturnType<typeof sql>; onlyApplied?: boolean } = {}) {
  if (rows.length === 0) return null;
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const list = sql.join(columns.map((c) => sql.ref(c)));
  return sql`
    INSERT INTO ${sql.table(table)} (${list})
    SELECT ${list} FROM json_populate_recordset(NULL::${sql.table(table)}, ${JSON.stringify(rows)}::json)
    ${opts.onlyApplied === false ? sql`` : sql`WHERE message_id IN (SELECT id FROM applied)`} ${opts.tail ?? sql``}`;
}

async function recordOutcomesInSteps(db: Kysely<Database>, outcomes: Outcome[]): Promise<Set<string>> {
  return db.transaction().execute(async (trx) => {
    const applied = new Set<string>();
    for (const [shape, rows] of outcomeShapes(outcomes)) {
      for (const { id } of (await updateByShape(shape, rows).execute(trx)).rows) applied.add(id);
    }
    const mine = outcomes.filter((o) => applied.has(o.messageId));
    const attempts = mine.flatMap((o) => o.attempts);
    const events = mine.filter((o) => o.event).map((o) => o.event!);
    const callbacks = mine.filter((o) => o.callback).map((o) => o.callback!);
    if (attempts.length) await trx.insertInto('attempts').values(attempts).execute();
    if (events.length) await trx.insertInto('events').values(events).execute();
    if (callbacks.length) await trx.insertInto('callbacks').values(callbacks).execute();
    const superseded = mine.filter((o) => o.supersedeParts).map((o) => o.messageId);
    if (superseded.length) {
      await trx.updateTable('message_parts').set((eb) => ({ part_index: eb('part_index', '+', SUPERSEDED_PART) }))
        .where('message_id', 'in', superseded).where('part_index', '<', SUPERSEDED_PART).execute();
    }
    const parts = mine.flatMap((o) => o.parts);
    if (parts.length) await trx.insertInto('message_parts').values(parts).onConflict((oc) => oc.doNothing()).execute();
    return applied;
  });
}

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

export async function claimWebhooks(db: Kysely<Database>, now: number, leaseMs: number, limit: number): Promise<WebhookRow[]> {
  const r = await sql<WebhookRow>`
    UPDATE webhooks w SET lease_until = ${now + leaseMs}, attempts = w.attempts + 1
    FROM (SELECT id FROM webhooks
          WHERE processed_at IS NULL AND ${sql.raw(WEBHOOK_DUE)} <= ${now}
          ORDER BY ${sql.raw(WEBHOOK_DUE)} LIMIT ${limit} FOR UPDATE SKIP LOCKED) due
    WHERE w.id = due.id
    RETURNING w.*`.execute(db);
  return r.rows.sort((a, b) => a.process_after - b.process_after || (a.id < b.id ? -1 : 1));
}

export async function applyReceipts(db: Kysely<Database>, receipts: ReceiptWrite[], now: number, planReceipt: ReceiptPlanner): Promise<ReceiptResult[]> {
  return db.transaction().execute(async (trx) => {
    const { messageOf, messages, parts } = await lockMessages(trx, receipts);
    const pendingEvents: EventRow[] = [];
    const pendingCallbacks: CallbackRow[] = [];
    const changed = new Map<string, MessageRow>();
    const changedColumns = new Set<string>();
    const changedParts = new Map<string, MessagePartRow>();
    const results = receipts.map((r): ReceiptResult => {
      const id = messageOf.get(`${r.providerId}\u0000${r.providerMessageId}`);
      const message = id === undefined ? undefined : messages.get(id);
      if (!message) return { message: null, changed: false, previous: null };
      const own = parts.get(message.id) ?? [];
      const plan = planReceipt(message, own, r, now);
      pendingEvents.push(plan.event);
      if (plan.part) {
        const k = own.findIndex((p) => p.part_index === plan.part!.index);
        own[k] = { ...own[k], ...plan.part.set };
        changedParts.set(`${message.id}\u0000${plan.part.index}`, own[k]);
      }
      if (!plan.set) return { message, changed: false, previous: message.status };
      const updated = { ...message, ...plan.set };
      for (const [k, v] of Object.entries(plan.set)) if (v !== undefined) changedColumns.add(k);
      if (plan.callback) pendingCallbacks.push(plan.callback);
      messages.set(message.id, updated);
      changed.set(message.id, updated);
      return { message: updated, changed: true, previous: message.status };
    });
    // One statement for the whole batch, whatever its size (each is a round trip).
    const writes = [
      changedParts.size === 0 ? null : sql`
        UPDATE message_parts p SET status = v.status, error_code = v.error_code, error_message = v.error_message,
          provider_error_code = v.provider_error_code, updated_at = v.updated_at
        FROM json_populate_recordset(NULL::message_parts, ${JSON.stringify([...changedParts.values()])}::json) v
        WHERE p.message_id = v.message_id AND p.part_index = v.part_index`,
      // A receipt seen twice (the same webhook replayed) is kept once: DO NOTHING also
      // skips a duplicate within this one statement.
      insertFor('events', pendingEvents, { onlyApplied: false, tail: sql`ON CONFLICT DO NOTHING` }),
      insertFor('callbacks', pendingCallbacks, { onlyApplied: false }),
      // Every column a plan in this batch set, from each message as it now stands (the
      // rows are locked, so a column its own plan left alone keeps its value).
      changed.size === 0 ? null : sql`
        UPDATE messages m SET ${sql.join([...changedColumns].filter((c) => c !== 'id').map((c) => sql`${sql.ref(c)} = v.${sql.ref(c)}`))}
        FROM json_populate_recordset(NULL::messages, ${JSON.stringify([...changed.values()])}::json) v
        WHERE m.id = v.id`,
    ].filter((w) => w !== null);
    if (writes.length > 0) await sql`WITH ${sql.join(writes.map((w, i) => sql`${sql.id(`w${i}`)} AS (${w})`))} SELECT 1`.execute(trx);
    return results;
  });
}

/**
 * The messages the receipts name (through their parts), locked, with all their parts: one
 * statement. By provider and reference together: message_parts_provider_ref is
 * (provider_id, provider_message_id), and the reference alone would scan the whole index.
 */
async function lockMessages(trx: Transaction<Database>, receipts: ReceiptWrite[]) {
  const messageOf = new Map<string, string>();
  const messages = new Map<string, MessageRow>();
  const parts = new Map<string, MessagePartRow[]>();
  const pairs = [...new Map(receipts.map((r) => [`${r.providerId}\u0000${r.providerMessageId}`, r])).values()];
  if (pairs.length === 0) return { messageOf, messages, parts };
  // The columns are text and integers, so their JSON is what pg would have parsed.
  const r = await sql<{ message: MessageRow; parts: MessagePartRow[]; refs: [string, string][] }>`
    WITH named AS (
      SELECT p.message_id, p.provider_id, p.provider_message_id FROM message_parts p
      JOIN unnest(${pairs.map((x) => x.providerId)}::text[], ${pairs.map((x) => x.providerMessageId)}::text[]) AS ref(provider_id, provider_message_id)
        ON p.provider_id = ref.provider_id AND p.provider_message_id = ref.provider_message_id),
    locked AS (SELECT * FROM messages WHERE id IN (SELECT message_id FROM named) ORDER BY id FOR UPDATE)
    SELECT row_to_json(m) AS message,
      (SELECT json_agg(p ORDER BY p.part_index) FROM message_parts p WHERE p.message_id = m.id) AS parts,
      (SELECT json_agg(json_build_array(n.provider_id, n.provider_message_id)) FROM named n WHERE n.message_id = m.id) AS refs
    FROM locked m`.execute(trx);
  for (const row of r.rows) {
    messages.set(row.message.id, row.message);
    parts.set(row.message.id, row.parts);
    for (const [provider, ref] of row.refs) messageOf.set(`${provider}\u0000${ref}`, row.message.id);
  }
  return { messageOf, messages, parts };
}

function definedFields(obj: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined));
}
