// The message ledger, which is also the send queue (DESIGN.md §1: no second queue).
// - due: status scheduled/queued (or sending with an expired lease) and next_attempt_at <= now.
// - claim: one statement takes a batch of due rows, marks them `sending`, stamps a lease
//   (lease_owner; next_attempt_at = the lease's end) and counts the attempt. A worker that
//   dies leaves its rows to be claimed again when the lease runs out.
// - lane and turn (domain/lanes.ts): a message's lane (urgent, normal, bulk) and its turn
//   key, stamped at insert one turn behind its account's last waiting message of that
//   lane; the claim takes due rows by lane, then turn (the bulk lane's share first), so
//   accounts take turns instead of first come, first served.
// - outcome: a worker's write-back after an attempt, fenced by lease_owner so a worker
//   whose lease was taken over cannot overwrite the new owner's result. A sent outcome
//   carries the message's parts (what the provider gave its own ids to).
import type {
  Announce, AnnounceEvents, AttemptRow, CancelResult, Claimed, EventRow, InsertResult, MessageFilter, MessagePartRow, MessageRow, NewMessage, Outcome, ProviderWindow, QueueStats, ReportRow,
} from '../rows.ts';

/** What `listen` calls, each when its kind of change is notified. */
export interface Listeners { wake?: () => void; webhooks?: () => void; config?: () => void }

export interface MessageLedger {
  /** Inserts a batch in one transaction (one commit). Results are in input order. */
  insertMessages(batch: NewMessage[]): Promise<InsertResult[]>;
  /** one message; `accountId` null = any account (internal callers, operators) */
  getMessage(accountId: string | null, id: string): Promise<MessageRow | undefined>;
  getMessages(ids: string[]): Promise<MessageRow[]>;
  /** newest first; `before` is an id cursor */
  listMessages(filter: MessageFilter): Promise<MessageRow[]>;
  listAttempts(messageId: string): Promise<AttemptRow[]>;
  /** the message's parts, in order (empty until it is sent) */
  listParts(messageId: string): Promise<MessagePartRow[]>;
  listEvents(messageId: string): Promise<EventRow[]>;
  /** cancels a queued or scheduled message; `announce` makes the caller's callback and `announceEvents` its events, written with the change */
  cancelMessage(accountId: string, id: string, now: number, announce: Announce, announceEvents?: AnnounceEvents): Promise<CancelResult>;

  /**
   * Claims up to `limit` due messages by lane and turn (domain/lanes.ts), the first
   * `bulkShare` of them from the bulk lane when it has any due: returned in send order.
   * `spacingMs` (> 0): a *paced* claim, taken only when no paced claim by any process on
   * this store was taken in the last `spacingMs` (the database's clock), else it answers
   * none, `refused`; workers sharing a queue then claim once per window among them, not
   * once per window each. A paced claim that takes its whole `limit` leaves the window open
   * (more is due: a backlog is shared among the workers, not kept by one). A store that
   * only one process works (SQLite) may ignore it.
   */
  claimDue(owner: string, now: number, leaseMs: number, limit: number, bulkShare?: number, spacingMs?: number): Promise<Claimed<MessageRow>>;
  /** Applies outcomes in one transaction; returns the ids whose lease was still held. */
  recordOutcomes(outcomes: Outcome[]): Promise<Set<string>>;
  /**
   * Failover on no receipt: messages still `sent` whose resend is due (`failover_at`) go
   * back to `queued`, due now, naming the provider that gave no receipt (`failover_from`);
   * one statement, so a message is handed over once. Answers which, and from whom.
   */
  dueReceiptFailovers(now: number, limit: number): Promise<{ id: string; provider_id: string | null }[]>;
  /** Releases leases (graceful shutdown): the rows become due again at once. */
  releaseLeases(owner: string, ids: string[], now: number): Promise<void>;
  /** Earliest next_attempt_at among due-able rows, to sleep until then. */
  nextDueAt(): Promise<number | null>;
  /** depth, oldest due row and counts by status: every account's, or one's */
  queueStats(now: number, accountId?: string): Promise<QueueStats>;
  /** messages waiting queued because no route could take them (route_unavailable, no_provider_configured), by destination country */
  waitingForRoute(): Promise<{ country: string | null; n: number }[]>;
  /** makes the messages waiting for a route due now (a provider was added or came back); returns how many */
  wakeWaiting(now: number): Promise<number>;
  /**
   * PostgreSQL LISTEN/NOTIFY: `wake` when another process queues a message, `webhooks` when
   * a process that does not apply them stores raw webhooks (or one is replayed), `config` when any process changes configuration
   * (services/config-watch.ts); each once more after a lost connection is back. Absent
   * where there is no other process to hear from.
   */
  listen?(on: Listeners): Promise<void>;
  /** true while `listen`'s connection is up: its notifications arrive */
  listening?(): boolean;
  /**
   * PostgreSQL: wakes the other workers of this schema, those that do not hear every insert
   * (store/postgres/queue-lead.ts): the caller has more due than it takes. At most once a batch window.
   */
  callForHelp?(): void;
  /**
   * PostgreSQL: vacuums the queue's tables that hold at least `minDead` dead row versions
   * and a tenth of their live rows (store/postgres/queue-vacuum.ts), one process at a time;
   * answers which. Absent where updates leave nothing behind to clear (SQLite).
   */
  vacuumQueue?(minDead?: number): Promise<string[]>;

  /**
   * Parts of `providerId` still `sent` since before `sentBefore` (their receipt is late or
   * lost) and not asked about since `checkedBefore`, oldest first: what reconciliation asks
   * the provider about.
   */
  partsToReconcile(providerId: string, sentBefore: number, checkedBefore: number, limit: number): Promise<MessagePartRow[]>;
  /** Parts of any provider still `sent` since before `sentBefore`, oldest first (the receipt deadline). */
  unsettledParts(sentBefore: number, limit: number): Promise<MessagePartRow[]>;
  /** Parts still `sent` (awaiting a receipt): how many, and since when the oldest (an index range, not a scan of the ledger). */
  unsettledStats(): Promise<{ count: number; oldestAt: number | null }>;
  /**
   * Claims these parts for a lookup at `now` (compare-and-set: only those not asked about
   * since `checkedBefore`), so workers in several processes never ask about the same
   * part in one round. Answers the parts claimed.
   */
  markReconciled<P extends Pick<MessagePartRow, 'message_id' | 'part_index'>>(parts: P[], now: number, checkedBefore: number): Promise<P[]>;

  /**
   * Retention: deletes up to `limit` messages that reached a final status before
   * `finalBefore`, with everything recorded about them (attempts, parts, events,
   * callbacks, idempotency keys), in one transaction; answers how many. `archive` sees
   * the messages inside that transaction, before they are deleted: if it throws, nothing
   * is deleted. Messages not yet final are never touched.
   */
  purgeMessages(finalBefore: number, limit: number, archive?: (rows: MessageRow[]) => void): Promise<number>;

  /**
   * Messages that reached a final status in [since, until): every account's, or one's
   * (delivery reports). An index range on final_at: bounded by the range, not the ledger.
   */
  finalMessages(since: number, until: number, accountId?: string, withMetadata?: boolean): Promise<ReportRow[]>;
  /** Messages accepted in [since, until), with their account and time (an id range: ids are time-ordered): every account's, or one's. */
  acceptedIn(since: number, until: number, accountId?: string): Promise<{ account_id: string; created_at: number }[]>;

  /** how many messages the ledger holds per destination country (what a region holds: switchboard regions) */
  countByCountry(): Promise<{ country: string | null; n: number }[]>;

  /** the message a provider's id for one of its parts belongs to (where a receipt goes) */
  messageOfProvider(providerId: string, providerMessageId: string): Promise<string | undefined>;

  /** The sender and provider of the latest message sent to `to` (sticky sender). */
  lastSender(to: string): Promise<{ from_number: string; provider_id: string } | undefined>;
  /** Attempts, errors and failovers per provider since `since` (the health window): every account's, or one's. */
  providerWindows(since: number, accountId?: string): Promise<ProviderWindow[]>;
  /** Failovers across all providers since `since`. */
  countFailovers(since: number): Promise<number>;
  /**
   * Rolls up the attempt buckets settled by `now` (store/shared/attempt-buckets.ts) that
   * the last hour holds and no process has rolled up yet; answers how many. The two above
   * read a window's settled buckets and only its edges from the attempts.
   */
  rollUpAttemptBuckets(now: number): Promise<number>;
}
