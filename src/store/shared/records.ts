// Records an operator or account admin keeps (accounts, keys, providers, numbers, country
// rules, opt-outs, templates, drills, tracking links): the RecordStore port, read and
// written the same way on both databases.
import { type Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import type { ApiKeyRow, ProviderRow, NumberRow, CountryRuleRow, RouteRuleRow, OptOutRow, TrackingLinkRow, TemplateRow, DrillRow } from '../store.ts';

export abstract class RecordsBase {
  readonly db: Kysely<Database>;
  constructor(db: Kysely<Database>) { this.db = db; }

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

  async listRouteRules(): Promise<RouteRuleRow[]> {
    return this.db.selectFrom('route_rules').selectAll().orderBy('match').execute();
  }

  async upsertRouteRule(row: RouteRuleRow): Promise<void> {
    await this.db.insertInto('route_rules').values(row)
      .onConflict((oc) => oc.column('match').doUpdateSet({ providers: row.providers, updated_at: row.updated_at })).execute();
  }

  async deleteRouteRule(match: string): Promise<boolean> {
    return Number((await this.db.deleteFrom('route_rules').where('match', '=', match).executeTakeFirst()).numDeletedRows) > 0;
  }

  async listCountryRules(): Promise<CountryRuleRow[]> {
    return this.db.selectFrom('country_rules').selectAll().orderBy('country').execute();
  }

  async upsertCountryRule(row: CountryRuleRow): Promise<void> {
    const { country: _c, created_at: _ca, ...rest } = row;
    await this.db.insertInto('country_rules').values(row).onConflict((oc) => oc.column('country').doUpdateSet(rest)).execute();
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

  async setApiKeyWebhookSecret(id: string, secret: string, now: number): Promise<void> {
    await this.db.updateTable('api_keys').set({ webhook_secret: secret, updated_at: now }).where('id', '=', id).execute();
  }

  async configVersion(): Promise<number> {
    const r = await this.db.selectFrom('config_version').select('version').where('id', '=', 1).executeTakeFirst();
    return Number(r?.version ?? 0);
  }
}
