// The event outbox (DESIGN.md §1, "events leave through an outbox"). Terms:
// - event: one row, written in the same transaction as the change it announces (the
//   message and intake writes take them as `outbox` beside their other rows), or on its
//   own (appendEvents) for changes that live outside the database (a provider's circuit).
// - seq: the order the database took the rows in. On PostgreSQL two transactions can
//   commit in the other order than they took their seq, so seq alone is no cursor.
// - pos: the feed position. The sequencer (whoever holds the `outbox` lease) gives
//   positions to visible rows in seq order, so positions follow commit order and a reader
//   paging by position never skips a row that committed late. Events of one message are
//   written by transactions that each begin after the previous one committed, so their
//   positions keep the message's order.
// - cursor: the last position a sink published (acknowledged by the broker); the sequencer
//   keeps its own high-water mark as the cursor named ''.
// - lease: one holder at a time publishes and sequences (fenced by time, taken over when
//   its holder stops renewing it), so no event is published by two processes at once.
// - feed read mark: the cursor named FEED_READ_MARK holds when the HTTP feed was last read
//   (epoch ms). Where positions must be given (PostgreSQL), a deployment with no sink and
//   no feed reader gives none: each is an update of a written row, the outbox's main cost.
import type { OutboxEvent, OutboxQuery, OutboxRow } from '../rows.ts';

export const FEED_READ_MARK = '~feed';

export interface EventOutbox {
  /**
   * true where rows get their position as they commit (SQLite: writes are serial, seq is
   * the position): nothing to sequence, so without sinks no lease is needed either.
   */
  readonly positionsAtCommit: boolean;
  /** Events not tied to a database change of their own; one whose id is there already is left as it is (an id derived from what it announces makes a repeat harmless). */
  appendEvents(rows: OutboxRow[]): Promise<void>;
  /** Takes or renews the named lease until `now + ttlMs`; true while `owner` holds it. */
  acquireOutboxLease(name: string, owner: string, now: number, ttlMs: number): Promise<boolean>;
  releaseOutboxLease(name: string, owner: string): Promise<void>;
  /** Gives the next `limit` unsequenced events positions, in seq order; answers how many (the lease holder only). */
  sequenceEvents(limit: number, now: number): Promise<number>;
  /** Sequenced events after a position, in position order. */
  readEvents(q: OutboxQuery): Promise<OutboxEvent[]>;
  /** A sink's cursor (0 before its first publish). */
  outboxCursor(name: string): Promise<number>;
  setOutboxCursor(name: string, pos: number, now: number): Promise<void>;
  /** Events after `pos` plus those not yet sequenced: how many, and when the oldest was written. */
  outboxBacklog(after: number): Promise<{ count: number; oldestAt: number | null }>;
  /** Deletes up to `limit` events written before `before` (published or not); answers how many. */
  purgeEvents(before: number, limit: number): Promise<number>;
}
