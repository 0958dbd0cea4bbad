// Records an operator or account admin keeps (accounts, keys, providers, numbers, country
// rules, opt-outs, templates, drills, tracking links): the RecordStore port, read and
// written the same way on both databases. Every change of configuration is audited
// (shared/audit.ts): written with its audit entry, in one transaction.
import { AuditBase, type AuditTarget } from './audit.ts';
import type { ApiKeyRow, ProviderRow, NumberRow, CountryRuleRow, RouteRuleRow, OptOutRow, TrackingLinkRow, TemplateRow, DrillRow } from '../store.ts';

export abstract class RecordsBase extends AuditBase {
  #apiKey(id: string): AuditTarget {
    return { object: 'api_key', id, read: this.db.selectFrom('api_keys').selectAll().where('id', '=', id).compile() };
  }

  async ensureAccount(id: string, name: string, now: number): Promise<void> {
    // Most calls find it there: only a new account takes the audit's lock.
    if (await this.db.selectFrom('accounts').select('id').where('id', '=', id).executeTakeFirst()) return;
    await this.audited({ object: 'account', id, account: id, read: this.db.selectFrom('accounts').selectAll().where('id', '=', id).compile() },
      [this.db.insertInto('accounts').values({ id, name, created_at: now, updated_at: now }).onConflict((oc) => oc.column('id').doNothing()).compile()]);
  }

  async createApiKey(row: ApiKeyRow): Promise<void> {
    await this.audited(this.#apiKey(row.id), [this.db.insertInto('api_keys').values(row).compile()]);
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
    const r = await this.audited(this.#apiKey(id), [this.db.updateTable('api_keys').set({ revoked_at: now, updated_at: now })
      .where('id', '=', id).where('revoked_at', 'is', null).compile()]);
    return r.affected > 0;
  }

  async listProviders(): Promise<ProviderRow[]> {
    return this.db.selectFrom('providers').selectAll().orderBy('priority').orderBy('id').execute();
  }

  async upsertProvider(row: ProviderRow): Promise<void> {
    const { id: _id, created_at: _c, ...rest } = row;
    await this.audited({ object: 'provider', id: row.id, account: null, read: this.db.selectFrom('providers').selectAll().where('id', '=', row.id).compile() },
      [this.db.insertInto('providers').values(row).onConflict((oc) => oc.column('id').doUpdateSet(rest)).compile()]);
  }

  async listNumbers(): Promise<NumberRow[]> {
    return this.db.selectFrom('numbers').selectAll().orderBy('number').execute();
  }

  async upsertNumber(row: NumberRow): Promise<void> {
    const { number: _n, created_at: _c, ...rest } = row;
    await this.audited({ object: 'number', id: row.number, read: this.db.selectFrom('numbers').selectAll().where('number', '=', row.number).compile() },
      [this.db.insertInto('numbers').values(row).onConflict((oc) => oc.column('number').doUpdateSet(rest)).compile()]);
  }

  async listRouteRules(): Promise<RouteRuleRow[]> {
    return this.db.selectFrom('route_rules').selectAll().orderBy('match').execute();
  }

  #routeRule(match: string): AuditTarget {
    return { object: 'route_rule', id: match, account: null, read: this.db.selectFrom('route_rules').selectAll().where('match', '=', match).compile() };
  }

  async upsertRouteRule(row: RouteRuleRow): Promise<void> {
    await this.audited(this.#routeRule(row.match), [this.db.insertInto('route_rules').values(row)
      .onConflict((oc) => oc.column('match').doUpdateSet({ providers: row.providers, updated_at: row.updated_at })).compile()]);
  }

  async deleteRouteRule(match: string): Promise<boolean> {
    return (await this.audited(this.#routeRule(match), [this.db.deleteFrom('route_rules').where('match', '=', match).compile()])).affected > 0;
  }

  async listCountryRules(): Promise<CountryRuleRow[]> {
    return this.db.selectFrom('country_rules').selectAll().orderBy('country').execute();
  }

  async upsertCountryRule(row: CountryRuleRow): Promise<void> {
    const { country: _c, created_at: _ca, ...rest } = row;
    await this.audited({ object: 'country_rule', id: row.country, account: null, read: this.db.selectFrom('country_rules').selectAll().where('country', '=', row.country).compile() },
      [this.db.insertInto('country_rules').values(row).onConflict((oc) => oc.column('country').doUpdateSet(rest)).compile()]);
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
      const r = await this.audited(this.#apiKey(id), [this.db.updateTable('api_keys').set({ smpp_system_id: systemId, smpp_password_hash: passwordHash, updated_at: now }).where('id', '=', id).compile()]);
      return r.affected > 0;
    } catch (err) {
      if (/unique|duplicate/i.test((err as Error).message)) return false; // taken meanwhile
      throw err;
    }
  }

  async findApiKeyBySmppSystemId(systemId: string): Promise<ApiKeyRow | undefined> {
    return this.db.selectFrom('api_keys').selectAll().where('smpp_system_id', '=', systemId).executeTakeFirst();
  }

  async addTemplateVersion(row: Omit<TemplateRow, 'version'>): Promise<TemplateRow> {
    // The next number is taken in the insert, under the audit's lock: two edits at once are two versions.
    const mine = this.db.selectFrom('templates').where('account_id', '=', row.account_id).where('id', '=', row.id);
    const latest = mine.selectAll().orderBy('version', 'desc').limit(1).compile();
    const insert = this.db.insertInto('templates').columns(['account_id', 'id', 'version', 'body', 'variables', 'locale', 'priority', 'created_at'])
      .expression(this.db.selectNoFrom((eb) => [eb.val(row.account_id).as('a'), eb.val(row.id).as('i'),
        eb(eb.fn.coalesce(mine.select((e) => e.fn.max('version').as('v')), eb.lit(0)), '+', 1).as('v'),
        eb.val(row.body).as('b'), eb.val(row.variables).as('r'), eb.val(row.locale).as('l'), eb.val(row.priority ?? null).as('p'), eb.val(row.created_at).as('c')])).compile();
    const { after } = await this.audited({ object: 'template', id: row.id, account: row.account_id, read: latest }, [insert]);
    return { ...row, priority: row.priority ?? null, version: Number(after!.version) };
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

  #trackingLink(id: string): AuditTarget {
    return { object: 'tracking_link', id, read: this.db.selectFrom('tracking_links').selectAll().where('id', '=', id).compile() };
  }

  async createTrackingLink(row: TrackingLinkRow): Promise<void> {
    await this.audited(this.#trackingLink(row.id), [this.db.insertInto('tracking_links').values(row).compile()]);
  }

  async findTrackingLinkByHash(tokenHash: string): Promise<TrackingLinkRow | undefined> {
    return this.db.selectFrom('tracking_links').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
  }

  async listTrackingLinks(accountId: string): Promise<TrackingLinkRow[]> {
    return this.db.selectFrom('tracking_links').selectAll().where('account_id', '=', accountId).orderBy('id', 'desc').execute();
  }

  async revokeTrackingLink(accountId: string, id: string, now: number): Promise<boolean> {
    const r = await this.audited(this.#trackingLink(id), [this.db.updateTable('tracking_links').set({ revoked_at: now })
      .where('id', '=', id).where('account_id', '=', accountId).where('revoked_at', 'is', null).compile()]);
    return r.affected > 0;
  }

  async setApiKeyWebhookSecret(id: string, secret: string, now: number): Promise<void> {
    await this.audited(this.#apiKey(id), [this.db.updateTable('api_keys').set({ webhook_secret: secret, updated_at: now }).where('id', '=', id).compile()]);
  }

  async configVersion(): Promise<number> {
    const r = await this.db.selectFrom('config_version').select('version').where('id', '=', 1).executeTakeFirst();
    return Number(r?.version ?? 0);
  }
}
