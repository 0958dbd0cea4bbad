// The carrier lookup cache (LookupCache, ports/lookups.ts) on both databases: a row per
// number, claimed under a lease by the one process that asks the provider.
import type { LookupRow } from '../store.ts';
import { OutboxBase } from './outbox.ts';

export abstract class LookupsBase extends OutboxBase {
  async getLookup(number: string): Promise<LookupRow | undefined> {
    return this.db.selectFrom('lookups').selectAll().where('number', '=', number).executeTakeFirst();
  }

  async claimLookup(number: string, owner: string, now: number, leaseMs: number): Promise<boolean> {
    const lease = { lease_owner: owner, lease_until: now + leaseMs };
    const r = await this.db.insertInto('lookups').values({ number, provider_id: null, line_type: null, provider_type: null, carrier: null, mcc: null, mnc: null, ported: null, price: null, error: null, looked_up_at: null, expires_at: null, ...lease })
      .onConflict((oc) => oc.column('number').doUpdateSet(lease)
        .where((eb) => eb.and([
          eb.or([eb('lookups.expires_at', 'is', null), eb('lookups.expires_at', '<=', now)]),
          eb.or([eb('lookups.lease_until', 'is', null), eb('lookups.lease_until', '<', now), eb('lookups.lease_owner', '=', owner)]),
        ])))
      .returning('lease_owner').executeTakeFirst();
    return r?.lease_owner === owner;
  }

  async putLookup(row: LookupRow): Promise<void> {
    const { number: _n, ...set } = row;
    await this.db.insertInto('lookups').values(row).onConflict((oc) => oc.column('number').doUpdateSet(set)).execute();
  }
}
