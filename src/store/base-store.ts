// The part of the Store that reads and writes the same way on both databases, through
// Kysely. The dialect stores (sqlite/, postgres/) add the hot, transactional paths:
// batch insert, claim, outcomes and receipts.
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { Migrator } from 'kysely/migration';
import { migrations } from './migrations.ts';
import { idFloor } from '../domain/ids.ts';
import type { Database } from './schema.ts';
import type {
  Announce, ApiKeyRow, ReceiptPlanner, AttemptRow, CallbackAttemptRow, CallbackRow, CancelResult, InboundPartRow, InboundRow, EventRow, InsertResult, MessageFilter, MessagePartRow, MessageRow, NewMessage,
  Outcome, ProviderRow, QueueStats, NumberRow, CountryRuleRow, AlertRow, ProviderWindow, OptOutRow, RelayRuleRow, RelayRow, RelayAttemptRow, RelayStatus, MaskRow, MaskLegRow, ReceiptResult, ReceiptWrite, Store, WebhookRow, TrackingLinkRow, ReportRow, TemplateRow, DrillRow, ReportRollupRow, RollupSpan,
} from './store.ts';
import type { CallbackClaim, CallbackFinish } from './ports/callbacks.ts';
import { SMPP_RECEIPT } from '../domain/smpp.ts';

/** The error codes of a message waiting queued for a route (worker/outcome.ts waitOutcome). */
const WAITING_CODES = ['route_unavailable', 'no_provider_configured'];

export abstract class BaseStore implements Store {
  abstract readonly dialect: 'sqlite' | 'postgres';
  readonly db: Kysely<Database>;
  constructor(db: Kysely<Database>) { this.db = db; }

  abstract insertMessages(batch: NewMessage[]): Promise<InsertResult[]>;
  abstract claimDue(owner: string, now: number, leaseMs: number, limit: number): Promise<MessageRow[]>;
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

  async ensureAccount(id: string, name: string, now: number): Promise<void> {
    await this.db.insertInto('accounts').values({ id, name, created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('id').doNothing()).execute();
  }

  async createApiKey(row: ApiKeyRow): Promise<void> {
    await this.db.insertInto('api_keys').values(row).execute();
  }

  async findApiKeyByHash(hash: string): Promise<ApiKeyRow | undefined> {
    return this.db.selectFrom('api_keys').selectAll().where('hash', '=', hash).executeTakeFirst();
  }

  async listApiKeys(accountId?: string): Promise<ApiKeyRow[]> {
    let q = this.db.selectFrom('api_keys').selectAll().orderBy('id');
    if (accountId) q = q.where('account_id', '=', accountId);
    return q.execute();
  }

  async revokeApiKey(id: string, now: number): Promise<boolean> {
    const r = await this.db.updateTable('api_keys').set({ revoked_at: now, updated_at: now })
      .where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async listProviders(): Promise<ProviderRow[]> {
    return this.db.selectFrom('providers').selectAll().orderBy('priority').orderBy('id').execute();
  }

  async upsertProvider(row: ProviderRow): Promise<void> {
    const { id: _id, created_at: _c, ...rest } = row;
    await this.db.insertInto('providers').values(row).onConflict((oc) => oc.column('id').doUpdateSet(rest)).execute();
  }

  async listNumbers(): Promise<NumberRow[]> {
    return this.db.selectFrom('numbers').selectAll().orderBy('number').execute();
  }

  async upsertNumber(row: NumberRow): Promise<void> {
    const { number: _n, created_at: _c, ...rest } = row;
    await this.db.insertInto('numbers').values(row).onConflict((oc) => oc.column('number').doUpdateSet(rest)).execute();
  }

  async listCountryRules(): Promise<CountryRuleRow[]> {
    return this.db.selectFrom('country_rules').selectAll().orderBy('country').execute();
  }

  async upsertCountryRule(row: CountryRuleRow): Promise<void> {
    const { country: _c, created_at: _ca, ...rest } = row;
    await this.db.insertInto('country_rules').values(row).onConflict((oc) => oc.column('country').doUpdateSet(rest)).execute();
  }

  async lastSender(to: string): Promise<{ from_number: string; provider_id: string } | undefined> {
    const r = await this.db.selectFrom('messages').select(['from_number', 'provider_id'])
      .where('to_number', '=', to).where('sent_at', 'is not', null).orderBy('sent_at', 'desc').limit(1).executeTakeFirst();
    return r?.from_number && r.provider_id ? { from_number: r.from_number, provider_id: r.provider_id } : undefined;
  }

  async providerWindows(since: number, accountId?: string): Promise<ProviderWindow[]> {
    let q = this.db.selectFrom('attempts')
      .select((eb) => [
        'attempts.provider_id',
        eb.fn.countAll<number>().as('sends'),
        // A failover drill's staged failure is not the provider's error.
        sql<number>`sum(case when outcome in ('transient', 'throttled') and coalesce(provider_error_code, '') <> 'drill' then 1 else 0 end)`.as('errors'),
        sql<number>`sum(failover)`.as('failovers'),
      ])
      .where('started_at', '>=', since);
    // One account's share of the window: its own messages' attempts only.
    // (Each attempt in the window looks its message up by key: bounded by the window, not by the account's ledger.)
    if (accountId !== undefined) q = q.where((eb) => eb.exists(eb.selectFrom('messages').select('messages.id').whereRef('messages.id', '=', 'attempts.message_id').where('messages.account_id', '=', accountId)));
    const rows = await q.groupBy('attempts.provider_id').execute();
    return rows.map((r) => ({ provider_id: r.provider_id, sends: Number(r.sends), errors: Number(r.errors ?? 0), failovers: Number(r.failovers ?? 0) }));
  }

  async countFailovers(since: number): Promise<number> {
    // `failover = 1` as a literal: only then may either database read the partial index
    // attempts_failover (a bound parameter could be anything when the plan is made).
    const r = await this.db.selectFrom('attempts').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('started_at', '>=', since).where(sql<boolean>`failover = 1`).executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  async setAlertState(rule: string, state: AlertRow['state'], detail: string | null, now: number): Promise<boolean> {
    await this.db.insertInto('alerts').values({ rule, state: 'ok', detail: null, fired_at: null, resolved_at: null, updated_at: now })
      .onConflict((oc) => oc.column('rule').doNothing()).execute();
    const r = await this.db.updateTable('alerts')
      .set(state === 'firing' ? { state, detail, fired_at: now, updated_at: now } : { state, detail, resolved_at: now, updated_at: now })
      .where('rule', '=', rule).where('state', '<>', state).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async listAlerts(): Promise<AlertRow[]> {
    return this.db.selectFrom('alerts').selectAll().orderBy('rule').execute();
  }

  async addOptOut(row: OptOutRow): Promise<void> {
    await this.db.insertInto('opt_outs').values(row).onConflict((oc) => oc.columns(['account_id', 'number', 'sender']).doNothing()).execute();
  }

  async removeOptOuts(accountId: string, number: string, sender: string | null): Promise<number> {
    let q = this.db.deleteFrom('opt_outs').where('account_id', '=', accountId).where('number', '=', number);
    if (sender !== null) q = q.where('sender', '=', sender);
    return Number((await q.executeTakeFirst()).numDeletedRows);
  }

  async listOptOuts(accountId: string | null, number?: string): Promise<OptOutRow[]> {
    let q = this.db.selectFrom('opt_outs').selectAll();
    if (accountId !== null) q = q.where('account_id', '=', accountId);
    if (number !== undefined) q = q.where('number', '=', number);
    return q.orderBy('created_at', 'desc').orderBy('number').execute();
  }

  async upsertRelayRule(row: RelayRuleRow): Promise<void> {
    const { created_at: _, number: __, ...update } = row;
    await this.db.insertInto('relay_rules').values(row).onConflict((oc) => oc.column('number').doUpdateSet(update)).execute();
  }

  async listRelayRules(accountId?: string): Promise<RelayRuleRow[]> {
    let q = this.db.selectFrom('relay_rules').selectAll().orderBy('number');
    if (accountId !== undefined) q = q.where('account_id', '=', accountId);
    return q.execute();
  }

  async getRelayRule(number: string): Promise<RelayRuleRow | undefined> {
    return this.db.selectFrom('relay_rules').selectAll().where('number', '=', number).executeTakeFirst();
  }

  async insertRelay(row: RelayRow): Promise<boolean> {
    const r = await this.db.insertInto('relays').values(row).onConflict((oc) => oc.doNothing()).executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async getRelay(id: string): Promise<RelayRow | undefined> {
    return this.db.selectFrom('relays').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async listRelays(f: { accountId?: string; number?: string; before?: string; limit: number }): Promise<RelayRow[]> {
    let q = this.db.selectFrom('relays').selectAll().orderBy('id', 'desc').limit(f.limit);
    if (f.accountId !== undefined) q = q.where('account_id', '=', f.accountId);
    if (f.number !== undefined) q = q.where('number', '=', f.number);
    if (f.before !== undefined) q = q.where('id', '<', f.before);
    return q.execute();
  }

  async updateRelay(id: string, from: number, set: Partial<Pick<RelayRow, 'status' | 'reason' | 'position' | 'deadline_at'>>, now: number): Promise<boolean> {
    const r = await this.db.updateTable('relays').set({ ...set, updated_at: now })
      .where('id', '=', id).where('position', '=', from).where('status', '=', 'forwarding').executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async dueRelays(now: number, limit: number): Promise<RelayRow[]> {
    return this.db.selectFrom('relays').selectAll().where('status', '=', 'forwarding').where('deadline_at', '<=', now)
      .orderBy('deadline_at').limit(limit).execute();
  }

  async insertRelayAttempt(row: RelayAttemptRow): Promise<void> {
    await this.db.insertInto('relay_attempts').values(row).onConflict((oc) => oc.columns(['relay_id', 'position']).doNothing()).execute();
  }

  async updateRelayAttempt(relayId: string, position: number, set: Partial<Pick<RelayAttemptRow, 'message_id' | 'outcome' | 'detail' | 'finished_at'>>): Promise<void> {
    await this.db.updateTable('relay_attempts').set(set).where('relay_id', '=', relayId).where('position', '=', position).execute();
  }

  async listRelayAttempts(relayIds: string[]): Promise<RelayAttemptRow[]> {
    if (relayIds.length === 0) return [];
    return this.db.selectFrom('relay_attempts').selectAll().where('relay_id', 'in', relayIds).orderBy('relay_id').orderBy('position').execute();
  }

  async countRelays(since: number, accountId?: string): Promise<{ status: RelayStatus; n: number }[]> {
    let q = this.db.selectFrom('relays').select((eb) => ['status', eb.fn.countAll<number>().as('n')]).where('created_at', '>=', since);
    if (accountId !== undefined) q = q.where('account_id', '=', accountId);
    const rows = await q.groupBy('status').execute();
    return rows.map((r) => ({ status: r.status, n: Number(r.n) }));
  }

  async insertMaskLeg(row: MaskLegRow, now: number): Promise<boolean> {
    // An expired leg no longer holds its place in the unique index.
    await this.db.updateTable('mask_legs').set({ active: 0 })
      .where('proxy', '=', row.proxy).where('participant', '=', row.participant).where('active', '=', 1).where('expires_at', '<=', now).execute();
    const r = await this.db.insertInto('mask_legs').values(row).onConflict((oc) => oc.doNothing()).executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async deleteMaskLegs(maskId: string): Promise<void> {
    await this.db.deleteFrom('mask_legs').where('mask_id', '=', maskId).execute();
  }

  async insertMask(row: MaskRow): Promise<void> {
    await this.db.insertInto('masks').values(row).execute();
  }

  async activeMaskLegs(participants: string[], now: number): Promise<MaskLegRow[]> {
    if (participants.length === 0) return [];
    return this.db.selectFrom('mask_legs').selectAll().where('participant', 'in', participants)
      .where('active', '=', 1).where('expires_at', '>', now).execute();
  }

  async findMask(proxy: string, participant: string, now: number): Promise<MaskRow | undefined> {
    return this.db.selectFrom('mask_legs').innerJoin('masks', 'masks.id', 'mask_legs.mask_id').selectAll('masks')
      .where('mask_legs.proxy', '=', proxy).where('mask_legs.participant', '=', participant).where('mask_legs.active', '=', 1)
      .where('masks.ended_at', 'is', null).where('masks.expires_at', '>', now).executeTakeFirst();
  }

  async getMask(accountId: string, id: string): Promise<MaskRow | undefined> {
    return this.db.selectFrom('masks').selectAll().where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
  }

  async listMasks(f: { accountId: string; contextId?: string; before?: string; limit: number }): Promise<MaskRow[]> {
    let q = this.db.selectFrom('masks').selectAll().where('account_id', '=', f.accountId).orderBy('id', 'desc').limit(f.limit);
    if (f.contextId !== undefined) q = q.where('context_id', '=', f.contextId);
    if (f.before !== undefined) q = q.where('id', '<', f.before);
    return q.execute();
  }

  async endMask(accountId: string | null, id: string, reason: string, now: number): Promise<boolean> {
    let q = this.db.updateTable('masks').set({ ended_at: now, end_reason: reason, updated_at: now }).where('id', '=', id).where('ended_at', 'is', null);
    if (accountId !== null) q = q.where('account_id', '=', accountId);
    const ended = Number((await q.executeTakeFirst()).numUpdatedRows) > 0;
    if (ended) await this.db.updateTable('mask_legs').set({ active: 0 }).where('mask_id', '=', id).execute();
    return ended;
  }

  async expireMasks(now: number): Promise<number> {
    const due = await this.db.selectFrom('masks').select('id').where('ended_at', 'is', null).where('expires_at', '<=', now).limit(1000).execute();
    let n = 0;
    for (const { id } of due) if (await this.endMask(null, id, 'expired', now)) n++;
    return n;
  }

  async countMaskMessage(id: string, fromA: boolean, now: number): Promise<void> {
    await this.db.updateTable('masks')
      .set((eb) => (fromA ? { messages_a: eb('messages_a', '+', 1), updated_at: now } : { messages_b: eb('messages_b', '+', 1), updated_at: now }))
      .where('id', '=', id).execute();
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

  async cancelMessage(accountId: string, id: string, now: number, announce: Announce): Promise<CancelResult> {
    const row = await this.db.updateTable('messages')
      .set({ status: 'canceled', final_at: now, updated_at: now, next_attempt_at: null, lease_owner: null })
      .where('id', '=', id).where('account_id', '=', accountId).where('status', 'in', ['queued', 'scheduled'])
      .returningAll().executeTakeFirst();
    if (row) {
      const cb = announce(row, now);
      if (cb) await this.db.insertInto('callbacks').values(cb).execute();
      return { kind: 'canceled', message: row };
    }
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
    const oldest = await oldestQ.executeTakeFirst();
    const groups = await groupsQ.groupBy('status').execute();
    const byStatus: Record<string, number> = {};
    for (const g of groups) byStatus[g.status] = Number(g.n);
    const depth = (byStatus.queued ?? 0) + (byStatus.sending ?? 0);
    return { depth, oldestDueAt: oldest?.at == null ? null : Number(oldest.at), byStatus };
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

  async configVersion(): Promise<number> {
    const r = await this.db.selectFrom('config_version').select('version').where('id', '=', 1).executeTakeFirst();
    return Number(r?.version ?? 0);
  }

  async insertWebhooks(rows: WebhookRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 500) {
      await this.db.insertInto('webhooks').values(rows.slice(i, i + 500)).execute();
    }
  }

  async finishWebhooks(done: { id: string; error: string | null }[], deferred: string[], until: number, now: number): Promise<void> {
    const ok = done.filter((d) => d.error === null).map((d) => d.id);
    if (ok.length) await this.db.updateTable('webhooks').set({ processed_at: now, lease_until: null, error: null }).where('id', 'in', ok).execute();
    for (const d of done) {
      if (d.error !== null) await this.db.updateTable('webhooks').set({ processed_at: now, lease_until: null, error: d.error }).where('id', '=', d.id).execute();
    }
    if (deferred.length) {
      await this.db.updateTable('webhooks').set({ process_after: until, lease_until: null, processed_at: null }).where('id', 'in', deferred).execute();
    }
  }

  async webhookBacklog(now: number): Promise<{ count: number; oldestAt: number | null }> {
    const r = await this.db.selectFrom('webhooks').select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min('process_after').as('oldest')])
      .where('processed_at', 'is', null).where('process_after', '<=', now).executeTakeFirst();
    return { count: Number(r?.n ?? 0), oldestAt: r?.oldest == null ? null : Number(r.oldest) };
  }

  async nextWebhookDueAt(): Promise<number | null> {
    // A webhook leased by another processor is not due before its lease runs out;
    // counting it as due at process_after would have idle processors spin on it.
    const r = await this.db.selectFrom('webhooks')
      .select(sql<number>`min(CASE WHEN lease_until > process_after THEN lease_until ELSE process_after END)`.as('at'))
      .where('processed_at', 'is', null).executeTakeFirst();
    return r?.at == null ? null : Number(r.at);
  }

  async requeueWebhooks(ids: string[], now: number): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) {
      await this.db.updateTable('webhooks').set({ processed_at: null, process_after: now, lease_until: null, attempts: 0, error: null })
        .where('id', 'in', ids.slice(i, i + 500)).execute();
    }
  }

  async insertInbound(rows: InboundRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.insertInto('inbound_messages').values(rows)
      .onConflict((oc) => oc.columns(['provider_id', 'provider_message_id']).doNothing()).execute();
  }

  async purgeWebhooks(receivedBefore: number, limit: number): Promise<number> {
    const r = await this.db.deleteFrom('webhooks').where('id', 'in', (eb) => eb.selectFrom('webhooks').select('id')
      .where('received_at', '<', receivedBefore).where('processed_at', 'is not', null).orderBy('received_at').limit(limit)).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async addInboundPart(row: InboundPartRow): Promise<InboundPartRow[]> {
    await this.db.insertInto('inbound_parts').values(row).onConflict((oc) => oc.doNothing()).execute();
    return this.db.selectFrom('inbound_parts').selectAll()
      .where('provider_id', '=', row.provider_id).where('from_number', '=', row.from_number).where('concat_ref', '=', row.concat_ref)
      .orderBy('part').execute();
  }

  async listInbound(accountId: string, before: string | undefined, limit: number): Promise<InboundRow[]> {
    let q = this.db.selectFrom('inbound_messages').selectAll().where('account_id', '=', accountId);
    if (before) q = q.where('id', '<', before);
    return q.orderBy('id', 'desc').limit(limit).execute();
  }

  async getApiKey(id: string): Promise<ApiKeyRow | undefined> {
    return this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async setApiKeySmpp(id: string, systemId: string, passwordHash: string, now: number): Promise<boolean> {
    const taken = await this.findApiKeyBySmppSystemId(systemId);
    if (taken && taken.id !== id) return false;
    try {
      const r = await this.db.updateTable('api_keys').set({ smpp_system_id: systemId, smpp_password_hash: passwordHash, updated_at: now }).where('id', '=', id).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    } catch (err) {
      if (/unique|duplicate/i.test((err as Error).message)) return false; // taken meanwhile
      throw err;
    }
  }

  async findApiKeyBySmppSystemId(systemId: string): Promise<ApiKeyRow | undefined> {
    return this.db.selectFrom('api_keys').selectAll().where('smpp_system_id', '=', systemId).executeTakeFirst();
  }

  async addTemplateVersion(row: Omit<TemplateRow, 'version'>): Promise<TemplateRow> {
    // Two edits at once: the second insert hits the primary key and takes the next number.
    for (let tries = 0; ; tries++) {
      const latest = await this.getTemplate(row.account_id, row.id);
      const next = { ...row, version: (latest?.version ?? 0) + 1 };
      try {
        await this.db.insertInto('templates').values(next).execute();
        return next;
      } catch (err) {
        if (tries >= 5 || !/unique|duplicate|constraint/i.test((err as Error).message)) throw err;
      }
    }
  }

  async getTemplate(accountId: string, id: string, version?: number): Promise<TemplateRow | undefined> {
    let q = this.db.selectFrom('templates').selectAll().where('account_id', '=', accountId).where('id', '=', id);
    q = version !== undefined ? q.where('version', '=', version) : q.orderBy('version', 'desc').limit(1);
    return q.executeTakeFirst();
  }

  async listTemplates(accountId: string | null, id?: string): Promise<TemplateRow[]> {
    let q = this.db.selectFrom('templates').selectAll();
    if (accountId !== null) q = q.where('account_id', '=', accountId);
    if (id !== undefined) return q.where('id', '=', id).orderBy('account_id').orderBy('version', 'desc').execute();
    const rows = await q.orderBy('account_id').orderBy('id').orderBy('version', 'desc').execute();
    return rows.filter((r, i) => i === 0 || rows[i - 1].id !== r.id || rows[i - 1].account_id !== r.account_id);
  }

  async recordDrill(row: DrillRow): Promise<void> {
    await this.db.insertInto('drills').values(row).execute();
  }

  async listDrills(limit: number): Promise<DrillRow[]> {
    return this.db.selectFrom('drills').selectAll().orderBy('id', 'desc').limit(limit).execute();
  }

  async createTrackingLink(row: TrackingLinkRow): Promise<void> {
    await this.db.insertInto('tracking_links').values(row).execute();
  }

  async findTrackingLinkByHash(tokenHash: string): Promise<TrackingLinkRow | undefined> {
    return this.db.selectFrom('tracking_links').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
  }

  async listTrackingLinks(accountId: string): Promise<TrackingLinkRow[]> {
    return this.db.selectFrom('tracking_links').selectAll().where('account_id', '=', accountId).orderBy('id', 'desc').execute();
  }

  async revokeTrackingLink(accountId: string, id: string, now: number): Promise<boolean> {
    const r = await this.db.updateTable('tracking_links').set({ revoked_at: now })
      .where('id', '=', id).where('account_id', '=', accountId).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async finalMessages(since: number, until: number, accountId?: string, withMetadata = false): Promise<ReportRow[]> {
    // metadata only when a report groups by it: the rest of the row is a few small columns.
    let q = this.db.selectFrom('messages').select(['account_id', 'provider_id', 'country', 'status', 'price', withMetadata ? 'metadata' : sql<null>`NULL`.as('metadata'), 'sent_at', 'final_at'])
      .where('final_at', '>=', since).where('final_at', '<', until);
    if (accountId !== undefined) q = q.where('account_id', '=', accountId);
    return (await q.execute()).map((r) => ({ ...r, final_at: Number(r.final_at) }));
  }

  async acceptedIn(since: number, until: number, accountId?: string): Promise<{ account_id: string; created_at: number }[]> {
    let q = this.db.selectFrom('messages').select(['account_id', 'created_at']).where('id', '>=', idFloor('msg', since)).where('id', '<', idFloor('msg', until));
    if (accountId !== undefined) q = q.where('account_id', '=', accountId);
    return (await q.execute()).map((r) => ({ account_id: r.account_id, created_at: Number(r.created_at) }));
  }

  async rolledUp(span: RollupSpan, from: number, to: number): Promise<number[]> {
    const rows = await this.db.selectFrom('report_rollups_done').select('start').where('span', '=', span).where('start', '>=', from).where('start', '<', to).orderBy('start').execute();
    return rows.map((r) => Number(r.start));
  }

  async rollups(span: RollupSpan, from: number, to: number, accountId?: string): Promise<ReportRollupRow[]> {
    let q = this.db.selectFrom('report_rollups').select(['start', 'account_id', 'provider_id', 'country', 'status', 'n', 'price_micros', 'latency'])
      .where('span', '=', span).where('start', '>=', from).where('start', '<', to);
    if (accountId !== undefined) q = q.where('account_id', '=', accountId);
    return (await q.execute()).map((r) => ({ ...r, start: Number(r.start), n: Number(r.n), price_micros: Number(r.price_micros) }));
  }

  async saveRollups(span: RollupSpan, starts: number[], rows: ReportRollupRow[], now: number): Promise<void> {
    if (starts.length === 0) return;
    // Rows first, then the marks: a span counts as rolled up only once its mark is
    // stored, so a process that stops in between leaves it to be rolled up again. Rows of
    // a span another process has marked meanwhile are the same rows (the primary key
    // keeps them once).
    const done = new Set(await this.rolledUp(span, Math.min(...starts), Math.max(...starts) + 1));
    const fresh = rows.filter((r) => !done.has(r.start)).map((r) => ({ ...r, span }));
    for (let i = 0; i < fresh.length; i += 500) {
      await this.db.insertInto('report_rollups').values(fresh.slice(i, i + 500)).onConflict((oc) => oc.doNothing()).execute();
    }
    const marks = starts.filter((m) => !done.has(m)).map((start) => ({ span, start, done_at: now }));
    for (let i = 0; i < marks.length; i += 500) {
      await this.db.insertInto('report_rollups_done').values(marks.slice(i, i + 500)).onConflict((oc) => oc.doNothing()).execute();
    }
  }

  async purgeRollups(before: number): Promise<number> {
    // Rows before marks: a span whose rows are gone but whose mark stays reads as empty, as it should.
    await this.db.deleteFrom('report_rollups').where('start', '<', before).execute();
    const r = await this.db.deleteFrom('report_rollups_done').where('start', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async setApiKeyWebhookSecret(id: string, secret: string, now: number): Promise<void> {
    await this.db.updateTable('api_keys').set({ webhook_secret: secret, updated_at: now }).where('id', '=', id).execute();
  }

  async claimCallbacks(now: number, leaseMs: number, limit: number, claim: CallbackClaim = { via: 'http' }): Promise<CallbackRow[]> {
    // Single statements: atomic on SQLite; on PostgreSQL the lease check in the UPDATE
    // makes a row go to one claimer even when two select it.
    let q = this.db.selectFrom('callbacks').select('id').where('status', '=', 'pending').where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]));
    if (claim.via === 'http') q = q.where('type', '<>', SMPP_RECEIPT);
    else if ('urls' in claim) {
      if (claim.urls.length === 0) return [];
      q = q.where('type', '=', SMPP_RECEIPT).where('url', 'in', [...claim.urls]);
    } else q = q.where('type', '=', SMPP_RECEIPT).where('created_at', '<', claim.createdBefore);
    const due = await q.orderBy('next_attempt_at').limit(limit).execute();
    if (due.length === 0) return [];
    return this.db.updateTable('callbacks').set({ lease_until: now + leaseMs })
      .where('id', 'in', due.map((d) => d.id)).where('status', '=', 'pending')
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
      .returningAll().execute();
  }

  async finishCallback(id: string, set: Pick<CallbackRow, 'status' | 'attempts' | 'next_attempt_at' | 'last_error' | 'delivered_at'>, attempt: CallbackAttemptRow, now: number): Promise<void> {
    await this.db.insertInto('callback_attempts').values(attempt).execute();
    await this.db.updateTable('callbacks').set({ ...set, lease_until: null, updated_at: now }).where('id', '=', id).execute();
  }

  async finishCallbacks(done: { id: string; set: CallbackFinish; attempt: CallbackAttemptRow }[], now: number): Promise<void> {
    if (done.length === 0) return;
    await this.db.insertInto('callback_attempts').values(done.map((d) => d.attempt)).execute();
    for (const d of done) await this.db.updateTable('callbacks').set({ ...d.set, lease_until: null, updated_at: now }).where('id', '=', d.id).execute();
  }

  async listCallbacks(messageId: string): Promise<CallbackRow[]> {
    return this.db.selectFrom('callbacks').selectAll().where('message_id', '=', messageId).orderBy('created_at').orderBy('id').execute();
  }

  async listCallbackAttempts(callbackId: string): Promise<CallbackAttemptRow[]> {
    return this.db.selectFrom('callback_attempts').selectAll().where('callback_id', '=', callbackId).orderBy('attempt').execute();
  }

  async listWebhooks(f: { since?: number; providerId?: string; newest?: number }): Promise<WebhookRow[]> {
    let q = this.db.selectFrom('webhooks').selectAll();
    if (f.since !== undefined) q = q.where('received_at', '>=', f.since);
    if (f.providerId) q = q.where('provider_id', '=', f.providerId);
    if (f.newest !== undefined) return q.orderBy('received_at', 'desc').orderBy('id', 'desc').limit(f.newest).execute();
    return q.orderBy('received_at').orderBy('id').execute();
  }

  async getWebhook(id: string): Promise<WebhookRow | undefined> {
    return this.db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
  }
}
