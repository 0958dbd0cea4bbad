// The PostgreSQL ledger by month (SWITCHBOARD_PG_LEDGER_BY_MONTH): at a million messages a
// day the ledger grows by 365 M rows a year, and retention need not delete them one by one.
// A new database's ledger is made by month (SWITCHBOARD_PG_LEDGER_BY_MONTH=new, the default);
// an existing plain one stays plain unless the setting is `true`: then every process converts
// it at start (once, under a lock, in one transaction: the ledger is held meanwhile); nothing
// converts it back. Its cost: every statement on a partitioned table is planned over its
// partitions and their indexes (measured: the database's CPU per message about 17 % more on
// the send path of an empty ledger; README, Scaling out).
//
// Terms:
// - a *ledger table* is one of LEDGER: messages and webhooks are partitioned by their own
//   id, the rows of a message (its parts, attempts, events) by its message id, so all that
//   was recorded about a message lives in the same month as the message.
// - *month*: ids are ULIDs, time-ordered (domain/ids.ts), so a month of ids is the id range
//   [idFloor(prefix, first ms of the month), idFloor(prefix, first ms of the next)); a
//   partition `messages_y2026m12` holds that range. `<table>_default` holds any id outside
//   every month (an id of a month not made yet, or not a ULID); `ensureMonths` moves such
//   rows into their month when it makes it.
// - *expired month*: one that ended before the retention cut and whose messages are all
//   final before it (for webhooks: all processed). Retention drops its partitions of every
//   ledger table at once (`dropExpiredMonths`), in one short transaction, instead of
//   deleting rows; what else refers to its messages (callbacks, idempotency keys) is
//   deleted by message id range in the same transaction.
//
// Lookups by id are pruned to one partition; lists by account read the newest partitions
// first and stop at their LIMIT. A receipt matched by its provider's message id probes each
// month's index (the provider reference cannot be unique across partitions, which must
// include the partition key: it is unique per month, and provider ids do not repeat), but
// only after the last week's months did not have it (RECENT_RECEIPTS_MS).
import { sql, type Kysely } from 'kysely';
import { idFloor, type IdPrefix } from '../../domain/ids.ts';

interface LedgerTable { table: string; key: string; prefix: IdPrefix; primary: string[] }
export const LEDGER: readonly LedgerTable[] = [
  { table: 'messages', key: 'id', prefix: 'msg', primary: ['id'] },
  { table: 'message_parts', key: 'message_id', prefix: 'msg', primary: ['message_id', 'part_index'] },
  { table: 'attempts', key: 'message_id', prefix: 'msg', primary: ['message_id', 'id'] },
  { table: 'events', key: 'message_id', prefix: 'msg', primary: ['message_id', 'id'] },
  { table: 'webhooks', key: 'id', prefix: 'whk', primary: ['id'] },
];

/**
 * How far back a receipt's message is looked for first (bookkeeping.ts lockMessages): past
 * SMS validity periods (up to a few days), so a later look in every month is rare.
 */
export const RECENT_RECEIPTS_MS = 7 * 86_400_000;

/** The id from which a receipt of `now` looks for its message first, on the ledger by month. */
export const recentMessagesFrom = (now: number): string => idFloor('msg', now - RECENT_RECEIPTS_MS);

/** Months made ahead of the current one, so inserts never wait for one (few: each partition costs every statement's planning). */
export const MONTHS_AHEAD = 1;
/** A drop or a new month waits at most this long for its lock, then is tried next time. */
const LOCK_TIMEOUT = '3s';

/** The first millisecond of the UTC month `ms` falls in, and `add` months on. */
export function monthStart(ms: number, add = 0): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + add, 1);
}

export function partitionName(table: string, month: number): string {
  const d = new Date(month);
  return `${table}_y${d.getUTCFullYear()}m${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

const bounds = (t: LedgerTable, month: number) => ({ lo: idFloor(t.prefix, month), hi: idFloor(t.prefix, monthStart(month, 1)) });

/** Converting the ledger and making months go one at a time, across processes (a transaction's advisory lock). */
const monthsLock = (trx: Kysely<any>) => sql`SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.ledger_months'))`.execute(trx);

/** Whether this schema's ledger is partitioned by month. */
export async function ledgerByMonth(db: Kysely<any>): Promise<boolean> {
  const r = await sql<{ kind: string }>`SELECT relkind AS kind FROM pg_class WHERE oid = to_regclass('messages')`.execute(db);
  return r.rows[0]?.kind === 'p';
}

/**
 * Converts the ledger to months, in one transaction (the ledger is locked meanwhile: about
 * 30,000 messages with their rows a second here); answers false when it already was. Runs
 * from several processes at once safely (one converts, the others find it done).
 * `onlyNew`: only a ledger that has never held a message or a raw webhook (a new database).
 */
export async function partitionLedger(db: Kysely<any>, now = Date.now(), onlyNew = false): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await monthsLock(trx);
    if (await ledgerByMonth(trx)) return false;
    if (onlyNew && (await sql`SELECT 1 FROM messages UNION ALL SELECT 1 FROM webhooks LIMIT 1`.execute(trx)).rows.length > 0) return false;
    const r = await sql<{ t: number | null }>`SELECT LEAST((SELECT min(created_at) FROM messages), (SELECT min(received_at) FROM webhooks)) AS t`.execute(trx);
    // Months from the oldest row's, two years back at most (older rows go to the default partition).
    const from = Math.max(monthStart(now, -24), Math.min(now, Number(r.rows[0]?.t ?? now)));
    for (const t of LEDGER) await partitionTable(trx, t, from, now);
    return true;
  });
}

/**
 * Makes `table` (not yet partitioned) partitioned by month: its rows are copied into a
 * partition of their month (from `from` to MONTHS_AHEAD after `now`) or the default one,
 * and its indexes are made again on the partitioned table (a unique one that lacks the
 * partition key becomes plain: see the terms above).
 */
async function partitionTable(db: Kysely<any>, t: LedgerTable, from: number, now: number): Promise<void> {
  const indexes = await sql<{ name: string; def: string }>`
    SELECT indexname AS name, indexdef AS def FROM pg_indexes
     WHERE schemaname = current_schema() AND tablename = ${t.table}
       AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = ${t.table}::regclass AND contype = 'p')`.execute(db);
  const old = `${t.table}_unpartitioned`;
  await sql`ALTER TABLE ${sql.id(t.table)} RENAME TO ${sql.id(old)}`.execute(db);
  await sql`CREATE TABLE ${sql.id(t.table)} (LIKE ${sql.id(old)} INCLUDING DEFAULTS) PARTITION BY RANGE (${sql.id(t.key)})`.execute(db);
  await sql`ALTER TABLE ${sql.id(t.table)} ADD PRIMARY KEY (${sql.join(t.primary.map((c) => sql.id(c)))})`.execute(db);
  await sql`CREATE TABLE ${sql.id(`${t.table}_default`)} PARTITION OF ${sql.id(t.table)} DEFAULT`.execute(db);
  for (let m = monthStart(from); m <= monthStart(now, MONTHS_AHEAD); m = monthStart(m, 1)) await createMonth(db, t, m);
  await sql`INSERT INTO ${sql.id(t.table)} SELECT * FROM ${sql.id(old)}`.execute(db);
  await sql`DROP TABLE ${sql.id(old)}`.execute(db);
  for (const { def } of indexes.rows) {
    const unique = /^CREATE UNIQUE INDEX/.test(def);
    const column = new RegExp(`\\(([^)]*\\b${t.key}\\b[^)]*)\\)`).test(def.replace(/ WHERE .*$/, ''));
    await sql.raw(unique && !column ? def.replace('CREATE UNIQUE INDEX', 'CREATE INDEX') : def).execute(db);
  }
}

async function createMonth(db: Kysely<any>, t: LedgerTable, month: number): Promise<void> {
  const { lo, hi } = bounds(t, month);
  await sql`CREATE TABLE ${sql.id(partitionName(t.table, month))} PARTITION OF ${sql.id(t.table)} FOR VALUES FROM (${sql.lit(lo)}) TO (${sql.lit(hi)})`.execute(db);
}

async function existing(db: Kysely<any>): Promise<Set<string>> {
  const r = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE c.relnamespace = current_schema()::regnamespace`.execute(db);
  return new Set(r.rows.map((x) => x.name));
}

/**
 * Makes the months from `now`'s to MONTHS_AHEAD after it that are missing, in every ledger
 * table. Rows already in the default partition for such a month (inserted before it was
 * made) are moved into it. Answers how many partitions it made. Safe to run from several
 * processes at once (one at a time, under an advisory lock).
 */
export async function ensureMonths(db: Kysely<any>, now = Date.now()): Promise<number> {
  if (!await ledgerByMonth(db)) return 0;
  const have = await existing(db);
  const missing: Array<[LedgerTable, number]> = [];
  for (let m = monthStart(now); m <= monthStart(now, MONTHS_AHEAD); m = monthStart(m, 1)) {
    for (const t of LEDGER) if (!have.has(partitionName(t.table, m))) missing.push([t, m]);
  }
  if (missing.length === 0) return 0;
  return db.transaction().execute(async (trx) => {
    await monthsLock(trx);
    await sql.raw(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`).execute(trx);
    const now2 = await existing(trx);
    let made = 0;
    for (const [t, m] of missing) {
      if (now2.has(partitionName(t.table, m))) continue;
      const { lo, hi } = bounds(t, m);
      const def = sql.id(`${t.table}_default`);
      // A default partition may not hold rows of a new month: they are taken out first.
      await sql`ALTER TABLE ${sql.id(t.table)} DETACH PARTITION ${def}`.execute(trx);
      await createMonth(trx, t, m);
      await sql`INSERT INTO ${sql.id(t.table)} SELECT * FROM ${def} WHERE ${sql.id(t.key)} >= ${lo} AND ${sql.id(t.key)} < ${hi}`.execute(trx);
      await sql`DELETE FROM ${def} WHERE ${sql.id(t.key)} >= ${lo} AND ${sql.id(t.key)} < ${hi}`.execute(trx);
      await sql`ALTER TABLE ${sql.id(t.table)} ATTACH PARTITION ${def} DEFAULT`.execute(trx);
      made++;
    }
    return made;
  });
}

/** The months of `table` that have a partition, oldest first. */
async function months(db: Kysely<any>, table: string): Promise<number[]> {
  const pattern = new RegExp(`^${table}_y(\\d{4})m(\\d{2})$`);
  const out: number[] = [];
  for (const name of await existing(db)) {
    const m = pattern.exec(name);
    if (m) out.push(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1));
  }
  return out.sort((a, b) => a - b);
}

/**
 * Retention by partition: drops every month that ended before `before` whose messages all
 * reached a final status before it (with their parts, attempts and events, and the
 * callbacks and idempotency keys of its messages), and every month of raw webhooks that
 * ended before it and holds none unprocessed. A month that does not qualify yet is left for
 * the row-by-row purge. Answers the rows dropped, as the planner estimates them (counting
 * a month's rows exactly would cost what dropping it saves).
 */
export async function dropExpiredMonths(db: Kysely<any>, before: number): Promise<{ messages: number; webhooks: number }> {
  const out = { messages: 0, webhooks: 0 };
  if (!await ledgerByMonth(db)) return out;
  for (const m of await months(db, 'messages')) {
    if (monthStart(m, 1) > before) break;
    if (await stillNeeded(db, partitionName('messages', m), 'final_at IS NULL', 'final_at', before)) continue;
    out.messages += await dropMonth(db, m, LEDGER.filter((t) => t.prefix === 'msg'), async (trx) => {
      const { lo, hi } = bounds(LEDGER[0], m);
      await sql`DELETE FROM callback_attempts WHERE callback_id IN (SELECT id FROM callbacks WHERE message_id >= ${lo} AND message_id < ${hi})`.execute(trx);
      await sql`DELETE FROM callbacks WHERE message_id >= ${lo} AND message_id < ${hi}`.execute(trx);
      await sql`DELETE FROM idempotency_keys WHERE message_id >= ${lo} AND message_id < ${hi}`.execute(trx);
    });
  }
  for (const m of await months(db, 'webhooks')) {
    if (monthStart(m, 1) > before) break;
    if (await stillNeeded(db, partitionName('webhooks', m), 'processed_at IS NULL', 'received_at', before)) continue;
    out.webhooks += await dropMonth(db, m, LEDGER.filter((t) => t.table === 'webhooks'));
  }
  return out;
}

/**
 * Whether a month holds a row still `open` or one whose `time` is not before the cut: two
 * index reads (the open rows' partial index; the newest time), where one condition with OR
 * would read the month through.
 */
async function stillNeeded(db: Kysely<any>, partition: string, open: string, time: string, before: number): Promise<boolean> {
  const p = sql.id(partition);
  const r = await sql<{ open: boolean; last: number | null }>`
    SELECT EXISTS (SELECT 1 FROM ${p} WHERE ${sql.raw(open)}) AS open, (SELECT max(${sql.id(time)}) FROM ${p}) AS last`.execute(db);
  return r.rows[0].open || (r.rows[0].last !== null && Number(r.rows[0].last) >= before);
}

async function dropMonth(db: Kysely<any>, m: number, tables: readonly LedgerTable[], also?: (trx: Kysely<any>) => Promise<void>): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await sql.raw(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`).execute(trx);
    const names = tables.map((t) => partitionName(t.table, m));
    const est = await sql<{ n: number }>`SELECT GREATEST(reltuples, 0)::bigint AS n FROM pg_class WHERE oid = ${names[0]}::regclass`.execute(trx);
    await also?.(trx);
    for (const name of names) await sql`DROP TABLE ${sql.id(name)}`.execute(trx);
    return Number(est.rows[0]?.n ?? 0);
  });
}
