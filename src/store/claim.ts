// The claim's choice of due messages, shared by both databases (domain/lanes.ts says why):
// - share: the bulk lane's share of this claim, by turn;
// - turn: the first :pick due messages in lane and turn order, within the first :scan
//   waiting ones (messages_turn; a row not yet due is passed over in the index);
// - late: only when that window held fewer than :limit due, the oldest due messages
//   (messages_due), so a window full of messages waiting for their retry never stalls
//   the queue.
// The windows are walked lazily: the walk stops once it has found what it wants, so with
// the queue due it reads :pick index entries, not :scan. Each database wraps them in its
// own claim (PostgreSQL: one statement, SKIP LOCKED; SQLite: LATE_CANDIDATES as a second
// statement in the same transaction, only when the first came up short). Named
// parameters: :now, :scan, :pick, :share, :bulk, :limit.
// Also here: the stamp both stores give a new message at insert (its lane and turn key).
import type { MessageRow } from './rows.ts';
import { flowOf, LANE, nextTurnKey } from '../domain/lanes.ts';

const WAITING = `status IN ('scheduled', 'queued', 'sending')`;

const WINDOWS = `
  share AS (
    SELECT id, lane, fair_key FROM (
      SELECT id, lane, fair_key, next_attempt_at FROM messages WHERE ${WAITING} AND lane = :bulk ORDER BY fair_key LIMIT :scan
    ) w WHERE next_attempt_at <= :now LIMIT :share),
  turn AS (
    SELECT id, lane, fair_key FROM (
      SELECT id, lane, fair_key, next_attempt_at FROM messages WHERE ${WAITING} ORDER BY lane, fair_key LIMIT :scan
    ) w WHERE next_attempt_at <= :now LIMIT :pick)`;

const IN_TURN = `
    SELECT id, 0 AS src, lane, fair_key FROM share
    UNION ALL SELECT id, 1 AS src, lane, fair_key FROM turn`;

/** The oldest due messages: what fills a claim the turn window left short. */
export const LATE_CANDIDATES = `SELECT id FROM messages WHERE ${WAITING} AND next_attempt_at <= :now ORDER BY next_attempt_at LIMIT :late`;

/** The share and turn windows as `candidates` (SQLite; the late ones follow as a statement of their own). */
export const TURN_CANDIDATES = `${WINDOWS},
  candidates AS (${IN_TURN})`;

/** All three as `candidates`, as one statement takes them (PostgreSQL): the late ones only when the window came up short. */
export const CLAIM_CANDIDATES = `${WINDOWS},
  candidates AS (${IN_TURN}
    UNION ALL SELECT id, 2 AS src, NULL, NULL FROM (${LATE_CANDIDATES}) late WHERE (SELECT count(*) FROM turn) < :limit)`;

/** Claimed rows in the order they are sent: lane, then turn. */
export function byTurn(a: MessageRow, b: MessageRow): number {
  return (a.lane ?? 1) - (b.lane ?? 1) || (a.fair_key ?? 0) - (b.fair_key ?? 0) || (a.id < b.id ? -1 : 1);
}

/**
 * Gives a new message its lane and turn key (domain/lanes.ts), behind its flow's last
 * waiting key: `last` holds the keys this batch has given so far, `lookup` reads a flow the
 * batch has not met yet from the store. A scheduled message takes its turn when due, so the
 * flow's immediate sends do not queue behind it.
 */
export function stampTurn(row: MessageRow, weight: number | undefined, last: Map<string, number | null>, lookup: (accountId: string, lane: number) => number | null): void {
  const lane = row.lane ?? LANE.normal;
  const flow = flowOf(row.account_id, lane);
  if (!last.has(flow)) last.set(flow, lookup(row.account_id, lane));
  row.lane = lane;
  row.fair_key = nextTurnKey(row.next_attempt_at ?? row.created_at, last.get(flow) ?? null, weight);
  if (row.status !== 'scheduled') last.set(flow, row.fair_key);
}
