// Provider windows (/v1/status, the failover alert) from 10-second buckets, so that reading
// a window costs the same whatever the traffic in it (issue 26).
// - bucket: one account's attempts through one provider that started in [start, start +
//   BUCKET_MS): how many (sends), how many failed transiently or were throttled, not by a
//   drill (errors), and how many were failovers.
// - settled: an attempt's row is written with its outcome, after the send (up to the send
//   timeout) and the outcome batch; a bucket is rolled up BUCKET_SETTLE_MS after it ends.
//   An attempt written later still (its worker could not reach the database for a minute)
//   is left out of its bucket: these figures are for watching providers, not for billing.
// - window: [since, now) is read as the settled buckets of the run that starts at `since`
//   (rounded up to a bucket), and the attempts themselves before and after that run.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import type { ProviderWindow } from '../store.ts';

export const BUCKET_MS = 10_000;
export const BUCKET_SETTLE_MS = 30_000;
/** How far back a rollup looks for buckets not yet rolled up; older marks and rows are dropped. */
const HORIZON_MS = 3_600_000;

type Db = Kysely<Database>;
/** Failed transiently or throttled, not by a drill (whose staged failure is not the provider's error), of attempts as `t`. */
const errors = (t: 'a' | 'attempts') => sql<number>`sum(case when ${sql.ref(`${t}.outcome`)} in ('transient', 'throttled') and coalesce(${sql.ref(`${t}.provider_error_code`)}, '') <> 'drill' then 1 else 0 end)`;
const BUCKET = sql<number>`a.started_at - (a.started_at % ${sql.lit(BUCKET_MS)})`;

/** Rolls up every settled bucket of the last hour not yet rolled up; answers how many it rolled up. */
export async function rollUpAttemptBuckets(db: Db, now: number): Promise<number> {
  const until = Math.floor((now - BUCKET_SETTLE_MS) / BUCKET_MS) * BUCKET_MS;
  const from = until - HORIZON_MS;
  const done = new Set((await db.selectFrom('attempt_buckets_done').select('start').where('start', '>=', from).where('start', '<', until).execute()).map((r) => Number(r.start)));
  let rolled = 0;
  for (let s = from; s < until;) {
    if (done.has(s)) { s += BUCKET_MS; continue; }
    let e = s;
    while (e < until && !done.has(e)) e += BUCKET_MS;
    const rows = await db.selectFrom('attempts as a').innerJoin('messages as m', 'm.id', 'a.message_id')
      .select((eb) => [BUCKET.as('start'), 'm.account_id', 'a.provider_id', eb.fn.countAll<number>().as('sends'), errors('a').as('errors'), sql<number>`sum(a.failover)`.as('failovers')])
      .where('a.started_at', '>=', s).where('a.started_at', '<', e)
      .groupBy([BUCKET, 'm.account_id', 'a.provider_id']).execute();
    // Rows first, then the marks: a bucket counts as rolled up only once its mark is stored.
    const values = rows.map((r) => ({ ...toWindow(r), start: Number(r.start), account_id: r.account_id }));
    for (let i = 0; i < values.length; i += 500) await db.insertInto('attempt_buckets').values(values.slice(i, i + 500)).onConflict((oc) => oc.doNothing()).execute();
    const marks = [];
    for (let b = s; b < e; b += BUCKET_MS) marks.push({ start: b, done_at: now });
    for (let i = 0; i < marks.length; i += 500) await db.insertInto('attempt_buckets_done').values(marks.slice(i, i + 500)).onConflict((oc) => oc.doNothing()).execute();
    rolled += marks.length;
    s = e;
  }
  await db.deleteFrom('attempt_buckets').where('start', '<', from - HORIZON_MS).execute();
  await db.deleteFrom('attempt_buckets_done').where('start', '<', from - HORIZON_MS).execute();
  return rolled;
}

/** The run of rolled-up buckets that starts at `since` rounded up: [lo, hi), empty when hi = lo. */
async function settledRun(db: Db, since: number): Promise<{ lo: number; hi: number }> {
  const lo = Math.ceil(since / BUCKET_MS) * BUCKET_MS;
  let hi = lo;
  for (const { start } of await db.selectFrom('attempt_buckets_done').select('start').where('start', '>=', lo).orderBy('start').execute()) {
    if (Number(start) !== hi) break;
    hi += BUCKET_MS;
  }
  return { lo, hi };
}

/** Attempts, errors and failovers per provider since `since`: every account's, or one's. */
export async function providerWindows(db: Db, since: number, accountId?: string): Promise<ProviderWindow[]> {
  const { lo, hi } = await settledRun(db, since);
  const parts = hi === lo
    ? [await liveWindows(db, since, null, accountId)]
    : await Promise.all([liveWindows(db, since, lo, accountId), bucketWindows(db, lo, hi, accountId), liveWindows(db, hi, null, accountId)]);
  const sums = new Map<string, ProviderWindow>();
  for (const w of parts.flat()) {
    const s = sums.get(w.provider_id) ?? { provider_id: w.provider_id, sends: 0, errors: 0, failovers: 0 };
    sums.set(w.provider_id, { provider_id: w.provider_id, sends: s.sends + w.sends, errors: s.errors + w.errors, failovers: s.failovers + w.failovers });
  }
  return [...sums.values()].filter((w) => w.sends > 0).sort((a, b) => (a.provider_id < b.provider_id ? -1 : 1));
}

/** Failovers across all providers since `since`. */
export async function countFailovers(db: Db, since: number): Promise<number> {
  const { lo, hi } = await settledRun(db, since);
  if (hi === lo) return liveFailovers(db, since, null);
  const [before, settled, after] = await Promise.all([
    liveFailovers(db, since, lo),
    db.selectFrom('attempt_buckets').select(sql<number>`sum(failovers)`.as('n')).where('start', '>=', lo).where('start', '<', hi).executeTakeFirst().then((r) => Number(r?.n ?? 0)),
    liveFailovers(db, hi, null),
  ]);
  return before + settled + after;
}

/** A grouped row as a window: databases may answer sums as strings or null. */
const toWindow = (r: { provider_id: string; sends: number; errors: number | null; failovers: number | null }): ProviderWindow =>
  ({ provider_id: r.provider_id, sends: Number(r.sends), errors: Number(r.errors ?? 0), failovers: Number(r.failovers ?? 0) });

async function bucketWindows(db: Db, lo: number, hi: number, accountId?: string): Promise<ProviderWindow[]> {
  let q = db.selectFrom('attempt_buckets')
    .select(['provider_id', sql<number>`sum(sends)`.as('sends'), sql<number>`sum(errors)`.as('errors'), sql<number>`sum(failovers)`.as('failovers')])
    .where('start', '>=', lo).where('start', '<', hi);
  if (accountId !== undefined) q = q.where('account_id', '=', accountId);
  const rows = await q.groupBy('provider_id').execute();
  return rows.map(toWindow);
}

async function liveWindows(db: Db, from: number, to: number | null, accountId?: string): Promise<ProviderWindow[]> {
  let q = db.selectFrom('attempts').select((eb) => ['attempts.provider_id', eb.fn.countAll<number>().as('sends'), errors('attempts').as('errors'), sql<number>`sum(failover)`.as('failovers')])
    .where('started_at', '>=', from);
  if (to !== null) q = q.where('started_at', '<', to);
  // One account's share: each attempt in the range looks its message up by key (bounded by the range, not the account's ledger).
  if (accountId !== undefined) q = q.where((eb) => eb.exists(eb.selectFrom('messages').select('messages.id').whereRef('messages.id', '=', 'attempts.message_id').where('messages.account_id', '=', accountId)));
  const rows = await q.groupBy('attempts.provider_id').execute();
  return rows.map(toWindow);
}

async function liveFailovers(db: Db, from: number, to: number | null): Promise<number> {
  // `failover = 1` as a literal: only then may either database read the partial index
  // attempts_failover (a bound parameter could be anything when the plan is made).
  let q = db.selectFrom('attempts').select((eb) => eb.fn.countAll<number>().as('n')).where('started_at', '>=', from).where(sql<boolean>`failover = 1`);
  if (to !== null) q = q.where('started_at', '<', to);
  return Number((await q.executeTakeFirst())?.n ?? 0);
}
