// The consent ledger (ports/consent.ts) and account settings, the same on both databases.
import type { CompiledQuery } from 'kysely';
import type { AuditTarget, Steps } from './audit.ts';
import { RecordsBase } from './records.ts';
import { auditActor } from '../../domain/audit.ts';
import { CHANGED_BY_STAFF, type ConsentRecordRow } from '../../domain/consent.ts';
import type { ConsentLedger, NewConsentRecord } from '../ports/consent.ts';

export abstract class ConsentBase extends RecordsBase implements ConsentLedger {
  #optOuts(accountId: string, number: string): AuditTarget {
    return {
      object: 'opt_out', id: number, account: accountId,
      read: this.db.selectFrom('opt_outs').selectAll().where('account_id', '=', accountId).where('number', '=', number).orderBy('sender').orderBy('topic').compile(),
      state: (rows) => rows.length === 0 ? undefined : { number, opt_outs: rows.map(({ sender, topic, source }) => ({ sender, topic, source })) },
    };
  }

  async recordConsent(r: NewConsentRecord): Promise<number> {
    const actor = auditActor();
    const record: ConsentRecordRow = { ...r, actor_kind: actor.kind, actor_id: actor.id, actor_name: actor.name };
    const insert = this.db.insertInto('consent_records').values(record).onConflict((oc) => oc.column('id').doNothing()).compile();
    let apply: CompiledQuery | null = null;
    if (r.action === 'opt_out') {
      apply = this.db.insertInto('opt_outs').values({ account_id: r.account_id, number: r.number, sender: r.sender, topic: r.topic, source: r.source, created_at: r.created_at })
        .onConflict((oc) => oc.columns(['account_id', 'number', 'sender', 'topic']).doNothing()).compile();
    } else if (r.action === 'opt_in') {
      let q = this.db.deleteFrom('opt_outs').where('account_id', '=', r.account_id).where('number', '=', r.number);
      if (r.scope === 'sender') q = q.where('sender', '=', r.sender);
      if (r.scope === 'topic') q = q.where('topic', '=', r.topic);
      apply = q.compile();
    }
    // A confirmation request changes no opt-out: the record alone.
    if (apply === null) return this.runSteps((function* (): Steps<number> { yield insert; return 0; })());
    // Staff's record is kept even when it changes no opt-out (opting out someone already out), with no audit entry then.
    if (CHANGED_BY_STAFF.has(r.source)) return (await this.audited(this.#optOuts(r.account_id, r.number), [apply, insert])).affected;
    // The recipient's own act: a record already there (a text handled again) is not applied twice.
    const change = apply;
    return this.runSteps((function* (): Steps<number> {
      if ((yield insert).affected === 0) return 0;
      return (yield change).affected;
    })());
  }

  async listConsent(accountId: string, number: string): Promise<ConsentRecordRow[]> {
    const rows = await this.db.selectFrom('consent_records').selectAll().where('account_id', '=', accountId).where('number', '=', number).orderBy('created_at').orderBy('id').execute();
    return rows.map((r) => ({ ...r, created_at: Number(r.created_at) }));
  }

  async listAccountSettings(): Promise<{ id: string; settings: string | null }[]> {
    return (await this.db.selectFrom('accounts').select(['id', 'settings']).orderBy('id').execute()).map((a) => ({ id: a.id, settings: a.settings ?? null }));
  }

  async setAccountSettings(accountId: string, settings: string, now: number): Promise<void> {
    await this.audited({ object: 'account', id: accountId, account: accountId, read: this.db.selectFrom('accounts').selectAll().where('id', '=', accountId).compile() }, [
      this.db.insertInto('accounts').values({ id: accountId, name: accountId, created_at: now, updated_at: now, settings })
        .onConflict((oc) => oc.column('id').doUpdateSet({ settings, updated_at: now })).compile(),
    ]);
  }
}
