// The event outbox (EventOutbox, ports/outbox.ts) on both databases: the rows written with
// each change come in through the hot writes; this is the sequencer, the feed, the cursors
// and the lease.
import { sql } from 'kysely';
import type { OutboxEvent, OutboxQuery, OutboxRow } from '../store.ts';
import { ConversationsBase } from './conversations.ts';

/** The sequencer's own cursor: the last position it gave. */
const SEQUENCED = '';

export abstract class OutboxBase extends ConversationsBase {
  /**
   * The column that holds the feed position: `pos`, given by the sequencer, where
   * transactions can commit out of seq order (PostgreSQL); `seq` itself where writes are
   * serial and seq is commit order already (SQLite, which then needs no sequencing).
   */
  protected readonly positionColumn: 'pos' | 'seq' = 'pos';
  get positionsAtCommit(): boolean { return this.positionColumn === 'seq'; }

  async appendEvents(rows: OutboxRow[]): Promise<void> {
    // In slices (SQLite binds at most 32,766 values a statement); an id already there is left as it is.
    for (let i = 0; i < rows.length; i += 1_000) {
      await this.db.insertInto('outbox').values(rows.slice(i, i + 1_000)).onConflict((oc) => oc.column('id').doNothing()).execute();
    }
  }

  async acquireOutboxLease(name: string, owner: string, now: number, ttlMs: number): Promise<boolean> {
    const r = await this.db.insertInto('outbox_leases').values({ name, owner, until: now + ttlMs })
      .onConflict((oc) => oc.column('name').doUpdateSet({ owner, until: now + ttlMs })
        .where((eb) => eb.or([eb('outbox_leases.owner', '=', owner), eb('outbox_leases.until', '<', now)])))
      .returning('owner').executeTakeFirst();
    return r?.owner === owner;
  }

  async releaseOutboxLease(name: string, owner: string): Promise<void> {
    await this.db.deleteFrom('outbox_leases').where('name', '=', name).where('owner', '=', owner).execute();
  }

  /** PostgreSQL's sequencer (SQLite overrides it: its positions come with the commit). */
  async sequenceEvents(limit: number, now: number): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const from = (await trx.selectFrom('outbox_cursors').select('pos').where('name', '=', SEQUENCED).executeTakeFirst())?.pos ?? 0;
      // Positions in seq order among the rows visible now: a row that commits later gets a later one.
      const r = await sql`
        UPDATE outbox SET pos = n.p
        FROM (SELECT seq, ${from}::bigint + row_number() OVER (ORDER BY seq) AS p
              FROM (SELECT seq FROM outbox WHERE pos IS NULL ORDER BY seq LIMIT ${limit}) s) n
        WHERE outbox.seq = n.seq`.execute(trx);
      const n = Number(r.numAffectedRows ?? 0n);
      if (n > 0) await upsertCursor(trx, SEQUENCED, from + n, now);
      return n;
    });
  }

  async readEvents(q: OutboxQuery): Promise<OutboxEvent[]> {
    const pos = this.positionColumn;
    let s = this.db.selectFrom('outbox').select(['id', 'account_id', 'type', 'subject', 'message_id', 'time', 'data', `${pos} as pos`]).where(pos, '>', q.after);
    if (q.accountId !== undefined) s = s.where('account_id', '=', q.accountId);
    if (q.types && q.types.length > 0) s = s.where('type', 'in', [...q.types]);
    return (await s.orderBy(pos).limit(q.limit).execute()) as OutboxEvent[];
  }

  async outboxCursor(name: string): Promise<number> {
    return (await this.db.selectFrom('outbox_cursors').select('pos').where('name', '=', name).executeTakeFirst())?.pos ?? 0;
  }

  async setOutboxCursor(name: string, pos: number, now: number): Promise<void> {
    await upsertCursor(this.db, name, pos, now);
  }

  async outboxBacklog(after: number): Promise<{ count: number; oldestAt: number | null }> {
    const r = await this.db.selectFrom('outbox')
      .select((eb) => [eb.fn.countAll<number | string>().as('n'), eb.fn.min('time').as('oldest')])
      .where((eb) => (this.positionColumn === 'seq' ? eb('seq', '>', after) : eb.or([eb('pos', '>', after), eb('pos', 'is', null)]))).executeTakeFirstOrThrow();
    return { count: Number(r.n), oldestAt: r.oldest === null ? null : Number(r.oldest) };
  }

  async purgeEvents(before: number, limit: number): Promise<number> {
    // A read first: a DELETE takes the write lock even when it deletes nothing, and on
    // SQLite that waits on the writer thread's commits (blocking this thread meanwhile).
    // The oldest `limit` by seq, those written before `before`: times follow seq closely
    // enough, and this needs no index on time (one write less per event).
    const window = () => this.db.selectFrom((q) => q.selectFrom('outbox').select(['seq', 'time']).orderBy('seq').limit(limit).as('oldest')).select('seq').where('time', '<', before);
    if (!(await window().limit(1).executeTakeFirst())) return 0;
    const r = await this.db.deleteFrom('outbox').where('seq', 'in', window()).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

async function upsertCursor(db: OutboxBase['db'], name: string, pos: number, now: number): Promise<void> {
  await db.insertInto('outbox_cursors').values({ name, pos, updated_at: now })
    .onConflict((oc) => oc.column('name').doUpdateSet({ pos, updated_at: now })).execute();
}
