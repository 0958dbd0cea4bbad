// The scale-out store: PostgreSQL through pg + Kysely. Several processes share it:
// claims use FOR UPDATE SKIP LOCKED so two workers never take the same row, and a
// NOTIFY in the inserting transaction wakes the workers listening on QUEUE_CHANNEL.
import pg from 'pg';
import { Kysely, sql } from 'kysely';
import { SchemaScopedPostgresDialect } from './dialect.ts';
import { vacuumQueue } from './queue-vacuum.ts';
import { nameStatements } from './named-statements.ts';
import { BaseStore } from '../base-store.ts';
import { CONFIG_CHANNEL } from '../migrations.ts';
import type { Database } from '../schema.ts';
import type { Claimed, InsertResult, MessageRow, NewMessage, Outcome, ReceiptPlanner, ReceiptResult, ReceiptWrite, WebhookRow } from '../store.ts';
import type { Listeners } from '../ports/ledger.ts';
import * as hot from './hot-writes.ts';
import * as bookkeeping from './bookkeeping.ts';
import { dropExpiredMonths, ensureMonths, ledgerByMonth, partitionLedger, recentMessagesFrom } from './partitions.ts';
import { QUEUE_CHANNEL, WEBHOOK_CHANNEL } from './hot-writes.ts';
import { NotifyPacer } from './notify-pacer.ts';
import { HELP_CHANNEL_SQL, LEAD_RETRY_MS, helpChannel, takeLead } from './queue-lead.ts';

export { QUEUE_CHANNEL };

/** How often a partitioned ledger's next months are checked for (partitions.ts). */
const MONTHS_EVERY_MS = 12 * 3_600_000;

/** How long a query waits for a connection before failing (database_unavailable). */
const CONNECT_TIMEOUT_MS = 3_000;

// BIGINT (oid 20) holds our millisecond times; they fit a JS number exactly.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/**
 * A pool on `schema` (search_path), with `setting` (`name=value`) on each connection, and
 * JIT compilation off: Switchboard's statements are short, and PostgreSQL's JIT (on by
 * default) compiled a receipt batch's lookup on a new ledger by month, whose partitions had
 * no statistics yet, for about 500 ms each time (measured; the plan's cost estimate went
 * past jit_above_cost). The settings go in the startup packet, so they cost no round trip.
 */
function openPool(url: string, schema: string | undefined, max: number, setting?: string, named = false): pg.Pool {
  const options = [schema ? `-c search_path=${schema}` : '', setting ? `-c ${setting}` : '', '-c jit=off'].filter(Boolean).join(' ');
  const pool = new pg.Pool({
    ...withOptions(url, options),
    max,
    types,
    // While the database is away, a request fails within seconds instead of queueing for a connection.
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  // An idle pooled connection that the server or the network ends emits `error` on the
  // pool; unheard, Node ends the process. pg has already dropped that client: the next
  // query opens a new connection, or fails and is answered as database_unavailable.
  pool.on('error', () => {});
  // A checked-out connection that is lost (mid-query, mid-COMMIT) emits `error` too, and
  // pg-pool listens only while it is idle: the query in flight already gets the error.
  pool.on('connect', (client) => {
    client.on('error', () => {});
    if (named) nameStatements(client);
  });
  return pool;
}

/**
 * The connection string with `options` added to any it names: pg takes a URL's `options`
 * over the config's, which would drop ours (or the operator's) silently.
 */
export function withOptions(url: string, options: string): { connectionString: string; options?: string } {
  let u: URL;
  try { u = new URL(url); } catch { return { connectionString: url, options }; } // a socket path: no query to merge into
  const given = u.searchParams.get('options');
  if (given === null) return { connectionString: url, options };
  u.searchParams.set('options', `${given} ${options}`);
  return { connectionString: u.toString() };
}

export class PostgresStore extends BaseStore {
  readonly dialect = 'postgres' as const;
  readonly pool: pg.Pool;
  readonly schema: string | undefined;
  readonly #url: string;
  #listener: pg.Client | null = null;
  #on: Listeners = {};
  #relisten: NodeJS.Timeout | null = null;
  /** the listener holds the queue's lead (queue-lead.ts); `#leadRetry` asks for it while another connection has it */
  #leading = false;
  #leadRetry: NodeJS.Timeout | null = null;
  #closed = false;
  readonly #redoable: Kysely<Database>;

  readonly #prepared: boolean;
  readonly #queuePacer: NotifyPacer;
  readonly #webhookPacer: NotifyPacer;
  readonly #helpPacer: NotifyPacer;
  readonly #byMonth: boolean | 'new';
  /** the ledger is partitioned by month (known after migrate): only then is there month work */
  #partitioned = false;
  #months: NodeJS.Timeout | null = null;

  /**
   * `schema` isolates a store (tests): it is created if missing and put first on search_path. `prepared`: the claim as a named
   * prepared statement (hot-writes.ts claimDue). `ledgerByMonth`: convert the ledger to monthly partitions at migration (partitions.ts); `new`: only a new one (nothing stored yet).
   * `notifyEveryMs`: this process NOTIFYs new messages and raw webhooks at most once per that many ms (notify-pacer.ts; the batch window).
   */
  constructor(url: string, opts: { schema?: string; max?: number; prepared?: boolean; ledgerByMonth?: boolean | 'new'; notifyEveryMs?: number } = {}) {
    const pool = openPool(url, opts.schema, opts.max ?? 10);
    super(new Kysely<Database>({ dialect: new SchemaScopedPostgresDialect({ pool }) }));
    // The worker's own bookkeeping (outcomes, receipts applied) does not wait for the WAL
    // flush (synchronous_commit off on these connections; the SQLite store's NORMAL): a
    // crash of PostgreSQL itself may undo its last moments, which are redone from what is
    // durable (the message is sent again, at least once; the raw webhook is applied again).
    // Intake and raw webhooks keep the server's setting. Set per connection, it costs no
    // round trip per transaction.
    // Its statements are long and repeat batch after batch: named, so they are parsed and
    // planned once per connection (named-statements.ts), unless prepared statements are off.
    this.#redoable = new Kysely<Database>({ dialect: new SchemaScopedPostgresDialect({ pool: openPool(url, opts.schema, 2, 'synchronous_commit=off', opts.prepared ?? true) }) });
    this.pool = pool;
    this.schema = opts.schema;
    this.#prepared = opts.prepared ?? true;
    this.#byMonth = opts.ledgerByMonth ?? false;
    this.#url = url;
    this.#queuePacer = new NotifyPacer(opts.notifyEveryMs ?? 0, () => this.#notify(`'${QUEUE_CHANNEL}'`));
    this.#webhookPacer = new NotifyPacer(opts.notifyEveryMs ?? 0, () => this.#notify(`'${WEBHOOK_CHANNEL}'`));
    this.#helpPacer = new NotifyPacer(opts.notifyEveryMs ?? 0, () => this.#notify(HELP_CHANNEL_SQL));
  }

  /** A NOTIFY on its own (one a write did not carry; a replay; a call for help), on the channel this SQL expression names. */
  #notify(channelSql: string): Promise<unknown> { return this.pool.query(`SELECT pg_notify(${channelSql}, '')`); }

  /** Wakes the schema's other workers: this one has more due than it takes (queue-lead.ts). At most once a batch window. */
  callForHelp(): void { this.#helpPacer.notify(); }

  protected metadataValue(key: string) {
    return sql<string>`(metadata::jsonb ->> ${key})`;
  }

  async migrate(): Promise<void> {
    if (this.schema) await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(this.schema)}`.execute(this.db);
    await super.migrate();
    if (this.#byMonth) await partitionLedger(this.db, Date.now(), this.#byMonth === 'new');
    this.#partitioned = await ledgerByMonth(this.db);
    if (!this.#partitioned) return;
    // A partitioned ledger's next months are made at start and twice a day (retention too).
    await ensureMonths(this.db);
    if (!this.#months) {
      this.#months = setInterval(() => { ensureMonths(this.db).catch(() => {}); }, MONTHS_EVERY_MS);
      this.#months.unref();
    }
  }

  // Kysely looks for its ledger tables in every schema unless told which one; another
  // application (or test run) using Kysely in the same database would fool it.
  protected override async migrationSchema(): Promise<string> {
    const r = await sql<{ s: string }>`SELECT current_schema() AS s`.execute(this.db);
    return r.rows[0].s;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#queuePacer.stop();
    this.#webhookPacer.stop();
    this.#helpPacer.stop();
    if (this.#leadRetry) clearInterval(this.#leadRetry);
    if (this.#months) clearInterval(this.#months);
    if (this.#relisten) clearTimeout(this.#relisten);
    if (this.#listener) { const l = this.#listener; this.#listener = null; await l.end().catch(() => {}); }
    await Promise.all([this.db.destroy(), this.#redoable.destroy()]);
  }

  /** Drops the isolated schema (tests). */
  async dropSchema(): Promise<void> {
    if (this.schema) await sql`DROP SCHEMA IF EXISTS ${sql.id(this.schema)} CASCADE`.execute(this.db);
  }

  /**
   * Calls `on.wake` whenever a message is inserted by any process, `on.webhooks` whenever
   * raw webhooks are stored by a process that does not apply them itself (or replayed), and
   * `on.config` when configuration changes (migration 011's trigger). The LISTEN connection
   * is kept up: when it is lost it reconnects with backoff (up to 5 s), listens again, and
   * calls each once, so the worker's claims sweep up whatever was notified while it was
   * away and the configuration is read again.
   */
  async listen(on: Listeners): Promise<void> {
    this.#on = on;
    await this.#connectListener();
  }

  listening(): boolean { return this.#listener !== null; }

  /** This process's listener is the schema's lead: it hears every insert (queue-lead.ts). */
  leadsQueue(): boolean { return this.#leading; }

  async #connectListener(): Promise<void> {
    // On the store's schema: the lead lock and the help channel are the schema's (queue-lead.ts).
    const client = new pg.Client({ ...withOptions(this.#url, this.schema ? `-c search_path=${this.schema}` : ''), connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    const lost = () => this.#listenerLost(client);
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (n) => (n.channel === CONFIG_CHANNEL ? this.#on.config : n.channel === WEBHOOK_CHANNEL ? this.#on.webhooks : this.#on.wake)?.());
    try {
      await client.connect();
      // A worker: the schema's calls for help, and every insert when it is the lead.
      if (this.#on.wake) {
        await client.query(`LISTEN "${await helpChannel(client)}"`);
        if (await takeLead(client)) await this.#lead(client);
        else this.#leadRetry ??= setInterval(() => void this.#askLead(), LEAD_RETRY_MS * (0.75 + Math.random() * 0.5)).unref();
      }
      if (this.#on.webhooks) await client.query(`LISTEN ${WEBHOOK_CHANNEL}`);
      if (this.#on.config) await client.query(`LISTEN ${CONFIG_CHANNEL}`);
    } catch (err) {
      client.removeAllListeners('end');
      client.on('error', () => {});
      await client.end().catch(() => {});
      throw err;
    }
    if (this.#closed) { await client.end().catch(() => {}); return; }
    this.#listener = client;
  }

  /** Not the lead: takes the lock once the lead's connection has let it go, then hears every insert (and sweeps once). */
  async #askLead(): Promise<void> {
    const client = this.#listener;
    if (!client) return; // reconnecting: it asks again then
    try {
      if (!(await takeLead(client))) return;
      await this.#lead(client);
    } catch { return; } // the connection is lost: handled there
    this.#on.wake?.();
  }

  /** The lock is this connection's: it hears every insert, and stops asking. */
  async #lead(client: pg.Client): Promise<void> {
    await client.query(`LISTEN ${QUEUE_CHANNEL}`);
    this.#leading = true;
    if (this.#leadRetry) clearInterval(this.#leadRetry);
    this.#leadRetry = null;
  }

  #listenerLost(client: pg.Client): void {
    if (this.#closed || this.#listener !== client) return; // closing, or already handled
    this.#listener = null;
    this.#leading = false;
    client.removeAllListeners('end');
    client.on('error', () => {});
    client.end().catch(() => {});
    this.#scheduleRelisten(0);
  }

  #scheduleRelisten(failures: number): void {
    if (this.#closed) return;
    const delay = Math.min(5_000, 250 * 2 ** failures) * (0.75 + Math.random() * 0.5);
    this.#relisten = setTimeout(() => {
      this.#relisten = null;
      this.#connectListener().then(() => { this.#on.wake?.(); this.#on.webhooks?.(); this.#on.config?.(); }, () => this.#scheduleRelisten(failures + 1));
    }, delay);
    this.#relisten.unref();
  }

  // The hot paths (hot-writes.ts), on this store's pool.
  insertMessages(batch: NewMessage[]): Promise<InsertResult[]> { return this.#queuePacer.around((notify) => hot.insertMessages(this.db, batch, this.pool, this.#prepared, notify)); }
  claimDue(owner: string, now: number, leaseMs: number, limit: number, bulkShare?: number, spacingMs?: number): Promise<Claimed<MessageRow>> { return hot.claimDue(this.pool, owner, now, leaseMs, limit, bulkShare, this.#prepared, spacingMs); }
  recordOutcomes(outcomes: Outcome[]): Promise<Set<string>> { return bookkeeping.recordOutcomes(this.#redoable, outcomes); }
  /**
   * Whole months first (partitions.ts), unless each message must be archived; then the
   * rest row by row. Makes the months ahead too: retention runs as long as the ledger does.
   */
  async purgeMessages(finalBefore: number, limit: number, archive?: (rows: MessageRow[]) => void): Promise<number> {
    let dropped = 0;
    if (this.#partitioned) {
      await ensureMonths(this.db);
      if (!archive) dropped = (await dropExpiredMonths(this.db, finalBefore)).messages;
    }
    return dropped + await hot.purgeMessages(this.db, finalBefore, limit, archive);
  }
  /**
   * Stored raw webhooks wake the processes that apply them, unless this process applies
   * them itself (it listens for them: its ingest wakes its own processor): a worker's own
   * sends' receipts need not wake every other worker to claim them.
   */
  override insertWebhooks(rows: WebhookRow[]): Promise<void> {
    if (this.#on.webhooks) return hot.insertWebhooks(this.pool, rows, this.#prepared, false);
    return this.#webhookPacer.around((notify) => hot.insertWebhooks(this.pool, rows, this.#prepared, notify));
  }
  /** A replay NOTIFYs as a store does: the processes that apply webhooks take it up at once. */
  override async requeueWebhooks(ids: string[], now: number): Promise<void> {
    await super.requeueWebhooks(ids, now);
    if (ids.length > 0) await this.#notify(`'${WEBHOOK_CHANNEL}'`);
  }
  vacuumQueue(minDead?: number): Promise<string[]> { return vacuumQueue(this.pool, minDead); }
  protected override webhooksDone(ids: string[], now: number): Promise<void> { return hot.webhooksDone(this.pool, ids, now, this.#prepared); }
  claimWebhooks(now: number, leaseMs: number, limit: number, spacingMs?: number): Promise<Claimed<WebhookRow>> { return hot.claimWebhooks(this.pool, now, leaseMs, limit, spacingMs, this.#prepared); }
  applyReceipts(receipts: ReceiptWrite[], now: number, planReceipt: ReceiptPlanner): Promise<ReceiptResult[]> { return bookkeeping.applyReceipts(this.#redoable, receipts, now, planReceipt, this.#partitioned ? recentMessagesFrom(now) : null); }
}
