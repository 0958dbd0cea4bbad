// Relay rules and relays (with their attempts), and masking sessions with their legs: the
// RelayStore and MaskStore ports.
import { type Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import type { RelayRuleRow, RelayRow, RelayAttemptRow, RelayStatus, MaskRow, MaskLegRow } from '../store.ts';
import { ConsentBase } from './consent.ts';

export abstract class RelaysMasksBase extends ConsentBase {
  async upsertRelayRule(row: RelayRuleRow): Promise<void> {
    const { created_at: _, number: __, ...update } = row;
    await this.audited({ object: 'relay_rule', id: row.number, read: this.db.selectFrom('relay_rules').selectAll().where('number', '=', row.number).compile() },
      [this.db.insertInto('relay_rules').values(row).onConflict((oc) => oc.column('number').doUpdateSet(update)).compile()]);
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
}
