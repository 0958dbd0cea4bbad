// The worker's bookkeeping on PostgreSQL: a batch of outcomes, and a batch of receipts, in
// as few statements as the batch allows whatever its size. Each statement is a round trip,
// and with several workers on one database the round trips per batch, not the rows, set
// each worker's CPU (issue 26). Both run on connections with synchronous_commit off
// (postgres-store.ts).
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../schema.ts';
import type { CallbackRow, OutboxRow, EventRow, MessagePartRow, MessageRow, Outcome, ReceiptPlanner, ReceiptResult, ReceiptWrite } from '../store.ts';
import { SUPERSEDED_PART } from '../rows.ts';

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
    insertFor('outbox', outcomes.flatMap((o) => o.outbox ?? [])),
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
function insertFor(table: 'attempts' | 'events' | 'callbacks' | 'message_parts' | 'outbox', rows: object[], opts: { tail?: ReturnType<typeof sql>; onlyApplied?: boolean } = {}) {
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
    const outbox = mine.flatMap((o) => o.outbox ?? []);
    if (outbox.length) await trx.insertInto('outbox').values(outbox).execute();
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

/** `recentFrom`: on the ledger by month, where to look for the receipts' messages first (lockMessages). */
export async function applyReceipts(db: Kysely<Database>, receipts: ReceiptWrite[], now: number, planReceipt: ReceiptPlanner, recentFrom: string | null = null): Promise<ReceiptResult[]> {
  return db.transaction().execute(async (trx) => {
    const { messageOf, messages, parts } = await lockMessages(trx, receipts, recentFrom);
    const pendingEvents: EventRow[] = [];
    const pendingCallbacks: CallbackRow[] = [];
    const pendingOutbox: OutboxRow[] = [];
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
      if (plan.outbox) pendingOutbox.push(...plan.outbox);
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
      insertFor('outbox', pendingOutbox, { onlyApplied: false, tail: sql`ON CONFLICT DO NOTHING` }),
      // Every column a plan in this batch set, from each message as it now stands (the
      // rows are locked, so a column its own plan left alone keeps its value). Only those
      // columns are sent: the whole row was ten times the JSON for PostgreSQL to parse.
      changed.size === 0 ? null : updateColumns([...changedColumns].sort().filter((c) => c !== 'id'), [...changed.values()]),
    ].filter((w) => w !== null);
    if (writes.length > 0) await sql`WITH ${sql.join(writes.map((w, i) => sql`${sql.id(`w${i}`)} AS (${w})`))} SELECT 1`.execute(trx);
    return results;
  });
}

/** UPDATE messages setting `columns` of each row from `rows` (by id). */
function updateColumns(columns: string[], rows: MessageRow[]) {
  const values = rows.map((r) => Object.fromEntries([['id', r.id], ...columns.map((c) => [c, r[c as keyof MessageRow]])]));
  return sql`
        UPDATE messages m SET ${sql.join(columns.map((c) => sql`${sql.ref(c)} = v.${sql.ref(c)}`))}
        FROM json_populate_recordset(NULL::messages, ${JSON.stringify(values)}::json) v
        WHERE m.id = v.id`;
}

/**
 * The messages the receipts name (through their parts), locked, with all their parts: one
 * statement. By provider and reference together: message_parts_provider_ref is
 * (provider_id, provider_message_id), and the reference alone would scan the whole index.
 * `recentFrom` (the ledger by month): a message id; the references are looked for first
 * among messages from that id on, pruned to the newest months, and only those not found
 * there in every month: a receipt almost always comes within minutes of its send, and each
 * month's index probed costs the database as much as the one that has the reference.
 */
async function lockMessages(trx: Transaction<Database>, receipts: ReceiptWrite[], recentFrom: string | null) {
  const messageOf = new Map<string, string>();
  const messages = new Map<string, MessageRow>();
  const parts = new Map<string, MessagePartRow[]>();
  let pairs = [...new Map(receipts.map((r) => [`${r.providerId}\u0000${r.providerMessageId}`, r])).values()];
  for (const from of recentFrom === null ? [null] : [recentFrom, null]) {
    if (pairs.length === 0) break;
    const since = from === null ? sql`` : sql`AND p.message_id >= ${from}`;
    // The columns are text and integers, so their JSON is what pg would have parsed.
    const r = await sql<{ message: MessageRow; parts: MessagePartRow[]; refs: [string, string][] }>`
      WITH named AS (
        SELECT p.message_id, p.provider_id, p.provider_message_id FROM message_parts p
        JOIN unnest(${pairs.map((x) => x.providerId)}::text[], ${pairs.map((x) => x.providerMessageId)}::text[]) AS ref(provider_id, provider_message_id)
          ON p.provider_id = ref.provider_id AND p.provider_message_id = ref.provider_message_id ${since}),
      locked AS (SELECT * FROM messages WHERE id IN (SELECT message_id FROM named) ${from === null ? sql`` : sql`AND id >= ${from}`} ORDER BY id FOR UPDATE)
      SELECT row_to_json(m) AS message,
        (SELECT json_agg(p ORDER BY p.part_index) FROM message_parts p WHERE p.message_id = m.id ${since}) AS parts,
        (SELECT json_agg(json_build_array(n.provider_id, n.provider_message_id)) FROM named n WHERE n.message_id = m.id) AS refs
      FROM locked m`.execute(trx);
    for (const row of r.rows) {
      messages.set(row.message.id, row.message);
      parts.set(row.message.id, row.parts);
      for (const [provider, ref] of row.refs) messageOf.set(`${provider}\u0000${ref}`, row.message.id);
    }
    pairs = pairs.filter((x) => !messageOf.has(`${x.providerId}\u0000${x.providerMessageId}`));
  }
  return { messageOf, messages, parts };
}

function definedFields(obj: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined));
}
