// What operators read back: provider windows and failovers, alert episodes, and the report
// rollups (ReportRollups, AlertStore).
import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import type { AlertRow, ProviderWindow, ReportRow, ReportRollupRow, RollupSpan } from '../store.ts';
import { idFloor } from '../../domain/ids.ts';
import { RelaysMasksBase } from './relays-masks.ts';
import * as buckets from './attempt-buckets.ts';

export abstract class ReportsBase extends RelaysMasksBase {
  async lastSender(to: string): Promise<{ from_number: string; provider_id: string } | undefined> {
    const r = await this.db.selectFrom('messages').select(['from_number', 'provider_id'])
      .where('to_number', '=', to).where('sent_at', 'is not', null).orderBy('sent_at', 'desc').limit(1).executeTakeFirst();
    return r?.from_number && r.provider_id ? { from_number: r.from_number, provider_id: r.provider_id } : undefined;
  }

  providerWindows(since: number, accountId?: string): Promise<ProviderWindow[]> { return buckets.providerWindows(this.db, since, accountId); }

  countFailovers(since: number): Promise<number> { return buckets.countFailovers(this.db, since); }

  rollUpAttemptBuckets(now: number): Promise<number> { return buckets.rollUpAttemptBuckets(this.db, now); }

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
}
