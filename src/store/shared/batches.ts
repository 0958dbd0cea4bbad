// Bulk sends (ports/batches.ts), the same on both databases.
import { LookupsBase } from './lookups.ts';
import type { BatchRow, BatchStore } from '../ports/batches.ts';
import type { MessageStatus } from '../../domain/status.ts';

const numeric = (b: BatchRow): BatchRow => ({ ...b, total: Number(b.total), accepted: Number(b.accepted), created_at: Number(b.created_at), updated_at: Number(b.updated_at) });

export abstract class BatchesBase extends LookupsBase implements BatchStore {
  async createBatch(row: BatchRow): Promise<{ created: boolean; batch: BatchRow }> {
    if (row.idempotency_key !== null) {
      const existing = await this.db.selectFrom('batches').selectAll().where('account_id', '=', row.account_id).where('idempotency_key', '=', row.idempotency_key).executeTakeFirst();
      if (existing) return { created: false, batch: numeric(existing) };
    }
    try {
      await this.db.insertInto('batches').values(row).execute();
      return { created: true, batch: row };
    } catch (err) {
      // The same key at the same moment: the other request's batch.
      if (row.idempotency_key === null || !/unique|duplicate/i.test((err as Error).message)) throw err;
      const existing = await this.db.selectFrom('batches').selectAll().where('account_id', '=', row.account_id).where('idempotency_key', '=', row.idempotency_key).executeTakeFirstOrThrow();
      return { created: false, batch: numeric(existing) };
    }
  }

  async finishBatch(id: string, accepted: number, refused: string, now: number): Promise<void> {
    await this.db.updateTable('batches').set({ state: 'accepted', accepted, refused, updated_at: now }).where('id', '=', id).execute();
  }

  async getBatch(accountId: string | null, id: string): Promise<BatchRow | undefined> {
    let q = this.db.selectFrom('batches').selectAll().where('id', '=', id);
    if (accountId !== null) q = q.where('account_id', '=', accountId);
    const b = await q.executeTakeFirst();
    return b && numeric(b);
  }

  async listBatches(accountId: string, before: string | undefined, limit: number): Promise<BatchRow[]> {
    let q = this.db.selectFrom('batches').selectAll().where('account_id', '=', accountId);
    if (before !== undefined) q = q.where('id', '<', before);
    return (await q.orderBy('id', 'desc').limit(limit).execute()).map(numeric);
  }

  async batchCounts(id: string): Promise<Partial<Record<MessageStatus, number>>> {
    const rows = await this.db.selectFrom('messages').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).where('batch_id', '=', id).groupBy('status').execute();
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  async batchFailures(id: string) {
    return this.db.selectFrom('messages').select(['id', 'to_number', 'status', 'error_code', 'error_message', 'metadata'])
      .where('batch_id', '=', id).where('status', 'in', ['failed', 'undelivered', 'expired', 'canceled']).orderBy('id').execute();
  }
}
