// Fair queues: which message goes next when more are due than numbers and providers may
// send. Terms:
// - lane: a message's priority, `urgent` (one-time codes, alerts), `normal` (the
//   default) or `bulk` (campaigns; batches and marketing default to it). A higher lane
//   goes first, except that `bulk` keeps a guaranteed share of every worker's claims
//   (SWITCHBOARD_BULK_SHARE, 10 % by default), so it never starves.
// - flow: one account's messages in one lane. Flows in a lane take turns.
// - turn key (`fair_key`): a virtual-clock stamp given at intake, in microseconds. A
//   flow's next message is stamped `max(when it is due, its flow's last waiting stamp)`
//   plus one turn, TURN_US divided by the account's weight. A flow with nothing waiting
//   starts at its due time; a flow with a backlog stamps behind its own backlog, one turn
//   per message. Within a lane the claim takes the lowest stamps first, so a new
//   message of a quiet account comes after at most one turn of each busy account, and
//   two busy accounts drain in step (by weight). A message keeps its stamp when it is
//   retried, so after an outage the backlog drains by lane and turn, oldest first within
//   each flow.
import { AppError } from './errors.ts';

export const PRIORITIES = ['urgent', 'normal', 'bulk'] as const;
export type Priority = typeof PRIORITIES[number];

/** lane number (the claim orders by it: lower first) */
export const LANE: Readonly<Record<Priority, number>> = { urgent: 0, normal: 1, bulk: 2 };
export const BULK_LANE = LANE.bulk;

export function priorityOf(lane: number | null | undefined): Priority {
  return PRIORITIES[lane ?? LANE.normal] ?? 'normal';
}

export function laneOf(priority: string | undefined, fallback: Priority = 'normal'): number {
  if (priority === undefined) return LANE[fallback];
  if (!(PRIORITIES as readonly string[]).includes(priority)) {
    throw new AppError('validation_error', `priority must be one of ${PRIORITIES.join(', ')}`, { field: 'priority' });
  }
  return LANE[priority as Priority];
}

/**
 * SMPP 3.4 priority_flag (0–3; most ESMEs send 0) onto lanes: 0 and 1 are ordinary
 * traffic, 2 and 3 (GSM "urgent"/"emergency" on most SMSCs) the urgent lane.
 */
export function laneOfSmppPriority(flag: number): number {
  return flag >= 2 ? LANE.urgent : LANE.normal;
}

/**
 * How many waiting messages a claim looks at in turn order (an index walk that passes over
 * those not yet due). When that window holds fewer due messages than the claim wants (a
 * long outage leaves many waiting for their retry), the oldest due ones fill it up.
 */
export const TURN_SCAN = 4096;

/** One turn of an account of weight 1, in the turn key's microseconds. */
export const TURN_US = 1_000_000;

/**
 * The turn key of a flow's next message, due at `dueAt` (ms), behind `last`, the highest
 * key its flow has waiting (null: nothing waiting).
 */
export function nextTurnKey(dueAt: number, last: number | null, weight = 1): number {
  const step = Math.max(1, Math.round(TURN_US / (weight > 0 ? weight : 1)));
  return Math.max(dueAt * 1000, last ?? 0) + step;
}

/** A flow: one account's messages in one lane. */
export const flowOf = (accountId: string, lane: number | undefined): string => `${lane ?? LANE.normal}\u0000${accountId}`;

/**
 * SWITCHBOARD_ACCOUNT_WEIGHTS (`account=weight` entries) as a lookup: an account's weight
 * among the accounts of its lane, 1 when not named. A malformed entry stops the start.
 */
export function accountWeights(entries: readonly string[]): (accountId: string) => number {
  const weights = new Map<string, number>();
  for (const e of entries) {
    const m = /^([^=\s]+)=(\d+(?:\.\d+)?)$/.exec(e.trim());
    const w = m ? Number(m[2]) : NaN;
    if (!m || !(w > 0) || w > 1000) throw new Error(`SWITCHBOARD_ACCOUNT_WEIGHTS: ${JSON.stringify(e)} is not account=weight with a weight above 0 and at most 1000`);
    weights.set(m[1], w);
  }
  return (accountId) => weights.get(accountId) ?? 1;
}

/**
 * The bulk lane's share of one worker's claims, kept as credit: each claim earns
 * `share` of what it asks for, and the bulk messages it took spend it. The credit is
 * capped, so a quiet bulk lane does not bank a burst for later.
 */
export class BulkShare {
  readonly #share: number;
  #credit = 0;
  constructor(share: number) { this.#share = share; }

  /** how many of a claim of `want` go to the bulk lane first */
  ask(want: number): number {
    if (this.#share <= 0) return 0;
    this.#credit = Math.min(this.#credit + want * this.#share, 1 + want * this.#share);
    return Math.min(want, Math.floor(this.#credit));
  }

  /** a claim took `bulk` messages of the bulk lane (through its share or in turn) */
  took(bulk: number): void { this.#credit = Math.max(0, this.#credit - bulk); }
}
