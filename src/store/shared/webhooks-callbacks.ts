// Raw provider webhooks and inbound texts (WebhookLog), and callbacks to callers, HTTP and
// SMPP (CallbackQueue).
import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import type { CallbackAttemptRow, CallbackRow, InboundPartRow, InboundRow, WebhookRow } from '../store.ts';
import type { CallbackClaim, CallbackFinish } from '../ports/callbacks.ts';
import { ReportsBase } from './reports.ts';
import { WEBHOOK_DUE } from './webhook-due.ts';

export abstract class WebhooksCallbacksBase extends ReportsBase {
  async insertWebhooks(rows: WebhookRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 500) {
      await this.db.insertInto('webhooks').values(rows.slice(i, i + 500)).execute();
    }
  }

  async finishWebhooks(done: { id: string; error: string | null }[], deferred: string[], until: number, now: number): Promise<void> {
    await this.webhooksDone(done.filter((d) => d.error === null).map((d) => d.id), now);
    for (const d of done) {
      if (d.error !== null) await this.db.updateTable('webhooks').set({ processed_at: now, lease_until: null, error: d.error }).where('id', '=', d.id).execute();
    }
    if (deferred.length) {
      await this.db.updateTable('webhooks').set({ process_after: until, lease_until: null, processed_at: null }).where('id', 'in', deferred).execute();
    }
  }

  /** Marks raw webhooks applied without error (PostgreSQL: a prepared statement, hot-writes.ts). */
  protected async webhooksDone(ids: string[], now: number): Promise<void> {
    if (ids.length) await this.db.updateTable('webhooks').set({ processed_at: now, lease_until: null, error: null }).where('id', 'in', ids).execute();
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
      .select(sql<number>`min(${sql.raw(WEBHOOK_DUE)})`.as('at'))
      .where('processed_at', 'is', null).executeTakeFirst();
    return r?.at == null ? null : Number(r.at);
  }

  async requeueWebhooks(ids: string[], now: number): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) {
      await this.db.updateTable('webhooks').set({ processed_at: null, process_after: now, lease_until: null, attempts: 0, error: null })
        .where('id', 'in', ids.slice(i, i + 500)).execute();
    }
  }

  async insertInbound(rows: InboundRow[]): Promise<InboundRow[]> {
    if (rows.length === 0) return [];
    await this.db.insertInto('inbound_messages').values(rows)
      .onConflict((oc) => oc.columns(['provider_id', 'provider_message_id']).doNothing()).execute();
    const stored = await this.db.selectFrom('inbound_messages').selectAll()
      .where((eb) => eb.or(rows.map((r) => eb.and([eb('provider_id', '=', r.provider_id), eb('provider_message_id', '=', r.provider_message_id)])))).execute();
    const byRef = new Map(stored.map((r) => [`${r.provider_id}\u0000${r.provider_message_id}`, r]));
    return rows.map((r) => byRef.get(`${r.provider_id}\u0000${r.provider_message_id}`) ?? r);
  }

  async insertCallbacks(rows: CallbackRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.insertInto('callbacks').values(rows).onConflict((oc) => oc.column('id').doNothing()).execute();
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

  async getInbound(accountId: string | null, id: string): Promise<InboundRow | undefined> {
    let q = this.db.selectFrom('inbound_messages').selectAll().where('id', '=', id);
    if (accountId !== null) q = q.where('account_id', '=', accountId);
    return q.executeTakeFirst();
  }

  async listInbound(accountId: string, before: string | undefined, limit: number): Promise<InboundRow[]> {
    let q = this.db.selectFrom('inbound_messages').selectAll().where('account_id', '=', accountId);
    if (before) q = q.where('id', '<', before);
    return q.orderBy('id', 'desc').limit(limit).execute();
  }

  async claimCallbacks(now: number, leaseMs: number, limit: number, claim: CallbackClaim = { via: 'http' }): Promise<CallbackRow[]> {
    // Single statements: atomic on SQLite; on PostgreSQL the lease check in the UPDATE
    // makes a row go to one claimer even when two select it.
    // Each way has its own partial index (migration 013); its predicate is written as the
    // literal the index names, so SQLite can prove the index covers the query.
    const way = claim.via === 'http' ? sql<boolean>`status = 'pending' AND type <> 'smpp.receipt'` : sql<boolean>`status = 'pending' AND type = 'smpp.receipt'`;
    let q = this.db.selectFrom('callbacks').select('id').where(way).where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]));
    if ('urls' in claim) {
      if (claim.urls.length === 0) return [];
      q = q.where('url', 'in', [...claim.urls]);
    } else if ('createdBefore' in claim) q = q.where('created_at', '<', claim.createdBefore);
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
    // One transaction, one commit for the batch (SQLite has its own, on the writer thread).
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('callback_attempts').values(done.map((d) => d.attempt)).execute();
      for (const d of done) await trx.updateTable('callbacks').set({ ...d.set, lease_until: null, updated_at: now }).where('id', '=', d.id).execute();
    });
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
