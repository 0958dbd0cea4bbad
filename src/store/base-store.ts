// The part of the Store that reads and writes the same way on both databases, through
// Kysely: migrations and the message ledger here, the other areas in shared/ (records,
// relays and masks, reports, webhooks and callbacks), one class per area, each extending
// the one before. The dialect stores (sqlite/, postgres/) add the hot, transactional
// paths: batch insert, claim, outcomes and receipts.
import { sql, type RawBuilder } from 'kysely';
import { Migrator } from 'kysely/migration';
import { migrations } from './migrations.ts';
import type { Announce, AnnounceEvents, ReceiptPlanner, AttemptRow, CancelResult, EventRow, InsertResult, MessageFilter, MessagePartRow, MessageRow, NewMessage, Outcome, QueueStats, ReceiptResult, ReceiptWrite, Store, WebhookRow } from './store.ts';
import { BatchesBase } from './shared/batches.ts';

/** The error codes of a message waiting queued for a route (worker/outcome.ts waitOutcome). */
const WAITING_CODES = ['route_unavailable', 'no_provider_configured'];

export abstract class BaseStore extends BatchesBase implements Store {
  abstract readonly dialect: 'sqlite' | 'postgres';

  abstract insertMessages(batch: NewMessage[]): Promise<InsertResult[]>;
  abstract claimDue(owner: string, now: number, leaseMs: number, limit: number, bulkShare?: number): Promise<MessageRow[]>;
  abstract recordOutcomes(outcomes: Outcome[]): Promise<Set<string>>;
  abstract claimWebhooks(now: number, leaseMs: number, limit: number): Promise<WebhookRow[]>;
  abstract purgeMessages(finalBefore: number, limit: number, archive?: (rows: MessageRow[]) => void): Promise<number>;
  abstract applyReceipts(receipts: ReceiptWrite[], now: number, plan: ReceiptPlanner): Promise<ReceiptResult[]>;
  abstract close(): Promise<void>;
  /** SQL for the text value of metadata key `key` (a JSON object stored as text). */
  protected abstract metadataValue(key: string): RawBuilder<string>;

  /** Where the migration ledger lives (PostgreSQL: the schema this store works in). */
  protected async migrationSchema(): Promise<string | undefined> { return undefined; }

  async migrate(): Promise<void> {
    const migrationTableSchema = await this.migrationSchema();
    const { error, results } = await new Migrator({ db: this.db, provider: migrations, migrationTableSchema }).migrateToLatest();
    const failed = results?.find((r) => r.status === 'Error');
    if (error) throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message ?? error}`, { cause: error });
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async getMessage(accountId: string | null, id: string): Promise<MessageRow | undefined> {
    let q = this.db.selectFrom('messages').selectAll().where('id', '=', id);
    if (accountId !== null) q = q.where('account_id', '=', accountId);
    return q.executeTakeFirst();
  }

  async getMessages(ids: string[]): Promise<MessageRow[]> {
    if (ids.length === 0) return [];
    return this.db.selectFrom('messages').selectAll().where('id', 'in', ids).execute();
  }

  async countByCountry(): Promise<{ country: string | null; n: number }[]> {
    const rows = await this.db.selectFrom('messages').select((eb) => ['country', eb.fn.countAll<number | string>().as('n')]).groupBy('country').orderBy('country').execute();
    return rows.map((r) => ({ country: r.country, n: Number(r.n) }));
  }

  async messageOfProvider(providerId: string, providerMessageId: string): Promise<string | undefined> {
    const r = await this.db.selectFrom('message_parts').select('message_id').where('provider_id', '=', providerId).where('provider_message_id', '=', providerMessageId).limit(1).executeTakeFirst();
    return r?.message_id;
  }

  async partsToReconcile(providerId: string, sentBefore: number, checkedBefore: number, limit: number): Promise<MessagePartRow[]> {
    return this.db.selectFrom('message_parts').selectAll()
      .where('provider_id', '=', providerId).where('status', '=', 'sent').where('updated_at', '<', sentBefore)
      .where((eb) => eb.or([eb('reconciled_at', 'is', null), eb('reconciled_at', '<', checkedBefore)]))
      .orderBy('updated_at').limit(limit).execute();
  }

  async unsettledParts(sentBefore: number, limit: number): Promise<MessagePartRow[]> {
    return this.db.selectFrom('message_parts').selectAll().where('status', '=', 'sent').where('updated_at', '<', sentBefore)
      .orderBy('updated_at').limit(limit).execute();
  }

  async unsettledStats(): Promise<{ count: number; oldestAt: number | null }> {
    const r = await this.db.selectFrom('message_parts').select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min('updated_at').as('oldest')])
      .where('status', '=', 'sent').executeTakeFirst();
    return { count: Number(r?.n ?? 0), oldestAt: r?.oldest == null ? null : Number(r.oldest) };
  }

  async markReconciled<P extends Pick<MessagePartRow, 'message_id' | 'part_index'>>(parts: P[], now: number, checkedBefore: number): Promise<P[]> {
    const claimed: P[] = [];
    for (const p of parts) {
      const r = await this.db.updateTable('message_parts').set({ reconciled_at: now })
        .where('message_id', '=', p.message_id).where('part_index', '=', p.part_index)
        .where((eb) => eb.or([eb('reconciled_at', 'is', null), eb('reconciled_at', '<', checkedBefore)]))
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) > 0) claimed.push(p);
    }
    return claimed;
  }

  async listParts(messageId: string): Promise<MessagePartRow[]> {
    return this.db.selectFrom('message_parts').selectAll().where('message_id', '=', messageId).orderBy('part_index').execute();
  }

  async listMessages(f: MessageFilter): Promise<MessageRow[]> {
    let q = this.db.selectFrom('messages').selectAll().where('account_id', '=', f.accountId);
    if (f.status) q = q.where('status', '=', f.status);
    if (f.to) q = q.where('to_number', '=', f.to);
    if (f.from) q = q.where('from_number', '=', f.from);
    if (f.provider) q = q.where('provider_id', '=', f.provider);
    if (f.since !== undefined) q = q.where('created_at', '>=', f.since);
    if (f.until !== undefined) q = q.where('created_at', '<', f.until);
    if (f.before) q = q.where('id', '<', f.before);
    for (const [k, v] of Object.entries(f.metadata ?? {})) q = q.where(this.metadataValue(k), '=', v);
    return q.orderBy('id', 'desc').limit(f.limit).execute();
  }

  async listAttempts(messageId: string): Promise<AttemptRow[]> {
    return this.db.selectFrom('attempts').selectAll().where('message_id', '=', messageId).orderBy('started_at').orderBy('id').execute();
  }

  async listEvents(messageId: string): Promise<EventRow[]> {
    return this.db.selectFrom('events').selectAll().where('message_id', '=', messageId).orderBy('created_at').orderBy('id').execute();
  }

  async cancelMessage(accountId: string, id: string, now: number, announce: Announce, announceEvents?: AnnounceEvents): Promise<CancelResult> {
    // The change, its callback and its events commit together.
    const row = await this.db.transaction().execute(async (trx) => {
      const row = await trx.updateTable('messages')
        .set({ status: 'canceled', final_at: now, updated_at: now, next_attempt_at: null, lease_owner: null })
        .where('id', '=', id).where('account_id', '=', accountId).where('status', 'in', ['queued', 'scheduled'])
        .returningAll().executeTakeFirst();
      if (!row) return undefined;
      const cb = announce(row, now);
      if (cb) await trx.insertInto('callbacks').values(cb).execute();
      const events = announceEvents?.(row, now) ?? [];
      if (events.length > 0) await trx.insertInto('outbox').values(events).execute();
      return row;
    });
    if (row) return { kind: 'canceled', message: row };
    const existing = await this.getMessage(accountId, id);
    return existing ? { kind: 'not_cancelable', message: existing } : { kind: 'not_found' };
  }

  async dueReceiptFailovers(now: number, limit: number): Promise<{ id: string; provider_id: string | null }[]> {
    const due = this.db.selectFrom('messages').select('id').where('failover_at', 'is not', null).where('failover_at', '<=', now).where('status', '=', 'sent').orderBy('failover_at').limit(limit);
    return this.db.updateTable('messages')
      .set((eb) => ({ status: 'queued', next_attempt_at: now, failover_at: null, failover_from: eb.ref('provider_id'), updated_at: now }))
      .where('id', 'in', due).where('status', '=', 'sent').where('failover_at', 'is not', null)
      .returning(['id', 'provider_id']).execute();
  }

  async releaseLeases(owner: string, ids: string[], now: number): Promise<void> {
    if (ids.length === 0) return;
    // Released mid-send: the provider may have the message, so the next claim asks first.
    await this.db.updateTable('messages').set({ status: 'queued', lease_owner: null, next_attempt_at: now, updated_at: now, interrupted: 1 })
      .where('id', 'in', ids).where('lease_owner', '=', owner).where('status', '=', 'sending').execute();
  }

  async nextDueAt(): Promise<number | null> {
    // The statuses are literals, not parameters, so SQLite can use the partial index
    // messages_due (a parameterised IN cannot be proven to match its WHERE): a seek, not a
    // scan of the ledger.
    const r = await this.db.selectFrom('messages').select((eb) => eb.fn.min('next_attempt_at').as('at'))
      .where(sql<boolean>`status IN ('scheduled', 'queued', 'sending')`).executeTakeFirst();
    return r?.at == null ? null : Number(r.at);
  }

  async queueStats(now: number, accountId?: string): Promise<QueueStats> {
    // Index-bounded, whatever the ledger's size: only messages not yet final are counted
    // (messages_open), and the oldest due row is a seek on messages_due. The statuses are
    // literals so that SQLite can prove the partial indexes apply.
    let oldestQ = this.db.selectFrom('messages').select((eb) => eb.fn.min('next_attempt_at').as('at'))
      .where(sql<boolean>`status IN ('scheduled', 'queued', 'sending')`).where('status', '<>', 'sending').where('next_attempt_at', '<=', now);
    let groupsQ = this.db.selectFrom('messages').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).where('final_at', 'is', null);
    // One account's oldest: among its open messages (messages_open), not its whole ledger.
    if (accountId !== undefined) { oldestQ = oldestQ.where('final_at', 'is', null).where('account_id', '=', accountId); groupsQ = groupsQ.where('account_id', '=', accountId); }
    // By account and lane: read from messages_open alone (it holds the lane and the due time).
    let lanesQ = this.db.selectFrom('messages').select(['account_id', 'lane', (eb) => eb.fn.countAll<number>().as('n'),
      sql<number | null>`min(CASE WHEN status <> 'sending' AND next_attempt_at <= ${now} THEN next_attempt_at END)`.as('oldest')])
      .where('final_at', 'is', null).where(sql<boolean>`status IN ('queued', 'sending')`);
    if (accountId !== undefined) lanesQ = lanesQ.where('account_id', '=', accountId);
    const [oldest, groups, lanes] = await Promise.all([oldestQ.executeTakeFirst(), groupsQ.groupBy('status').execute(), lanesQ.groupBy(['account_id', 'lane']).orderBy('account_id').orderBy('lane').execute()]);
    const byStatus: Record<string, number> = {};
    for (const g of groups) byStatus[g.status] = Number(g.n);
    const depth = (byStatus.queued ?? 0) + (byStatus.sending ?? 0);
    return {
      depth, oldestDueAt: oldest?.at == null ? null : Number(oldest.at), byStatus,
      lanes: lanes.map((l) => ({ account_id: l.account_id, lane: Number(l.lane), depth: Number(l.n), oldestDueAt: l.oldest == null ? null : Number(l.oldest) })),
    };
  }

  async waitingForRoute(): Promise<{ country: string | null; n: number }[]> {
    // Among messages not yet final (messages_open), whatever the ledger's size.
    const rows = await this.db.selectFrom('messages').select(['country', (eb) => eb.fn.countAll<number>().as('n')])
      .where('final_at', 'is', null).where('status', '=', 'queued').where('error_code', 'in', WAITING_CODES)
      .groupBy('country').orderBy('country').execute();
    return rows.map((r) => ({ country: r.country, n: Number(r.n) }));
  }

  async wakeWaiting(now: number): Promise<number> {
    const r = await this.db.updateTable('messages').set({ next_attempt_at: now })
      .where('final_at', 'is', null).where('status', '=', 'queued').where('error_code', 'in', WAITING_CODES).where('next_attempt_at', '>', now)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

}
