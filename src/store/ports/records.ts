// The records operators and account admins manage: accounts and API keys (hashed),
// providers, the number pool, country rules and the opt-out list. Small tables, read
// whole and cached above; written through services/.
import type { ApiKeyRow, CountryRuleRow, RouteRuleRow, NumberRow, OptOutRow, ProviderRow, TrackingLinkRow, TemplateRow } from '../rows.ts';

export interface RecordStore {
  /** bumped by the database on every change to a configuration table (migration 011), whoever made it */
  configVersion(): Promise<number>;
  ensureAccount(id: string, name: string, now: number): Promise<void>;
  createApiKey(row: ApiKeyRow): Promise<void>;
  findApiKeyByHash(hash: string): Promise<ApiKeyRow | undefined>;
  getApiKey(id: string): Promise<ApiKeyRow | undefined>;
  /** every key, or one account's */
  listApiKeys(accountId?: string): Promise<ApiKeyRow[]>;
  /** false when there was no active key with that id */
  revokeApiKey(id: string, now: number): Promise<boolean>;
  setApiKeyWebhookSecret(id: string, secret: string, now: number): Promise<void>;
  /** gives a key SMPP bind credentials; false when the system_id is taken */
  setApiKeySmpp(id: string, systemId: string, passwordHash: string, now: number): Promise<boolean>;
  findApiKeyBySmppSystemId(systemId: string): Promise<ApiKeyRow | undefined>;

  /** Stores a new version of a template (the next after its latest; 1 for a new one) and answers it. */
  addTemplateVersion(row: Omit<TemplateRow, 'version'>): Promise<TemplateRow>;
  /** the latest version, or the one asked for */
  getTemplate(accountId: string, id: string, version?: number): Promise<TemplateRow | undefined>;
  /** every version of one template, newest first; or the latest version of each of the account's templates (null: every account's) */
  listTemplates(accountId: string | null, id?: string): Promise<TemplateRow[]>;
  createTrackingLink(row: TrackingLinkRow): Promise<void>;
  findTrackingLinkByHash(tokenHash: string): Promise<TrackingLinkRow | undefined>;
  /** one account's links, newest first */
  listTrackingLinks(accountId: string): Promise<TrackingLinkRow[]>;
  /** false when the account has no such link, or it was already revoked */
  revokeTrackingLink(accountId: string, id: string, now: number): Promise<boolean>;

  /** by priority, then id */
  listProviders(): Promise<ProviderRow[]>;
  upsertProvider(row: ProviderRow): Promise<void>;
  listNumbers(): Promise<NumberRow[]>;
  upsertNumber(row: NumberRow): Promise<void>;
  listCountryRules(): Promise<CountryRuleRow[]>;
  upsertCountryRule(row: CountryRuleRow): Promise<void>;
  /** route rules by prefix and network (routing/network.ts) */
  listRouteRules(): Promise<RouteRuleRow[]>;
  upsertRouteRule(row: RouteRuleRow): Promise<void>;
  /** false when there was none */
  deleteRouteRule(match: string): Promise<boolean>;

  /** The account's opt-outs (every account's with null), of one recipient if `number` is given (written by ConsentLedger.recordConsent). */
  listOptOuts(accountId: string | null, number?: string): Promise<OptOutRow[]>;
}
