// Provider records → live adapters (re-read by the Router on every routing refresh).
// Records live in the database (managed through the API, CLI and `switchboard apply`);
// secrets are never stored, records name the env var. A changed record rebuilds that
// provider's adapter only, so an unrelated change never drops another's sessions. With
// no provider configured, the built-in simulator serves with one simulated number, where
// SWITCHBOARD_SIMULATOR allows it (by default: on the embedded SQLite store only).
import type { Logger } from 'pino';
import { simulatorAllowed, type Config } from '../config.ts';
import type { ProviderRow, RecordStore, StoreLifecycle } from '../store/store.ts';
import type { AdapterContext, ProviderAdapter, ProviderModule, SessionLeases } from './provider.ts';
import { PROVIDER_MODULES } from './modules.ts';
import { capabilities, partial, type Capabilities } from './capabilities.ts';
import { simulator } from './simulator/adapter.ts';
import { credentialRefs, envNameAllowed } from './credentials.ts';
import { DEFAULT_ACCOUNT } from '../domain/actor.ts';

/** What this needs of the store. */
export type RegistryStore = Pick<RecordStore, 'listProviders'> & Pick<StoreLifecycle, 'dialect'>;

/** Problems with a provider record's config, by kind (empty when it is usable). */
export function validateProviderConfig(module: ProviderModule, config: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(config)) {
    if (module.identifierKeys?.includes(key)) continue;
    if (/(token|secret|password|api_key)$/i.test(key) && !key.endsWith('_sid')) problems.push(`config.${key} looks like a secret value; name its environment variable instead (${key}_env)`);
  }
  problems.push(...module.validate(config));
  return problems;
}

export interface ProviderEntry {
  id: string;
  kind: string;
  priority: number;
  prices: Record<string, string>;
  /** the sender used when the message names none (until number pools route it) */
  defaultFrom: string | undefined;
  /** the account inbound messages to this provider's numbers belong to */
  accountId: string;
  /** takes the compatibility route POST /sms/inbound */
  legacyInbound: boolean;
  /** what it can carry: sms, and voice for kinds that place calls */
  channels: readonly ('sms' | 'voice')[];
  /** a simulator: what it takes never reaches a handset (messages say `simulated: true`) */
  simulated: boolean;
  adapter: ProviderAdapter;
  /** what the adapter can do beyond its core, each whole (capabilities.ts) */
  capabilities: Capabilities;
}

export const IMPLICIT_SIMULATOR_ID = 'simulator';
const IMPLICIT_PRICES = { '*': '0.0050' };

export type EmitWebhook = (providerId: string, w: Parameters<AdapterContext['emitWebhook']>[0]) => Promise<void>;

export class ProviderRegistry {
  readonly #store: RegistryStore;
  readonly #config: Config;
  readonly #emit: EmitWebhook;
  readonly #log: Logger;
  /** told when an adapter finds its account refused (or taken again) outside a send: see AdapterContext.accountState */
  onAccountState: ((providerId: string, refused: boolean, detail: string) => void) | null = null;
  readonly #modules: ReadonlyMap<string, ProviderModule>;
  /** built adapters by provider id, with the record version they were built from */
  #built = new Map<string, { version: number; entry: ProviderEntry }>();
  #entries: ProviderEntry[] = [];
  #simulating = false;
  readonly #implicitAllowed: boolean;

  readonly #sessions: boolean;

  /** `sessions`: whether adapters open long-lived sessions here (start()); false in an api-only process */
  readonly #leases: SessionLeases | undefined;

  constructor(opts: { store: RegistryStore; config: Config; emitWebhook: EmitWebhook; logger: Logger; modules?: readonly ProviderModule[]; sessions?: boolean; leases?: SessionLeases }) {
    this.#implicitAllowed = simulatorAllowed(opts.config, opts.store.dialect);
    this.#sessions = opts.sessions ?? true;
    this.#leases = opts.leases;
    this.#store = opts.store;
    this.#config = opts.config;
    this.#emit = opts.emitWebhook;
    this.#log = opts.logger;
    this.#modules = new Map((opts.modules ?? PROVIDER_MODULES).map((m) => [m.kind, m]));
  }

  async refresh(): Promise<void> {
    // Every record is built, active or not: deactivated stops sends, nothing else (its
    // webhooks are verified and applied, its parts reconciled, its binds kept as receivers).
    const rows = await this.#store.listProviders();
    const next = new Map<string, { version: number; entry: ProviderEntry }>();
    const fresh: ProviderEntry[] = [];
    // An adapter is kept while its record's version (updated_at) is the one it was built from.
    const keep = (id: string, version: number, build: () => ProviderEntry | null) => {
      const have = this.#built.get(id);
      if (have && have.version === version) { next.set(id, have); return; }
      const entry = build();
      if (entry) { next.set(id, { version, entry }); fresh.push(entry); }
    };
    for (const row of rows) keep(row.id, row.updated_at, () => this.#build(row));
    // The implicit simulator, where allowed, serves only while no record is active: a
    // record is never shadowed by it. Built even when not serving, so receipts for what it
    // sent earlier still apply.
    const implicitAllowed = this.#implicitAllowed && !rows.some((r) => r.id === IMPLICIT_SIMULATOR_ID);
    this.#simulating = implicitAllowed && !rows.some((r) => r.active === 1);
    if (implicitAllowed) keep(IMPLICIT_SIMULATOR_ID, -1, () => this.#implicit());
    const stale = [...this.#built.entries()].filter(([id, b]) => next.get(id) !== b).map(([, b]) => b.entry);
    this.#built = next;
    // Highest priority (lowest number) first, then by id, as the records are listed.
    const activeIds = new Set(rows.filter((r) => r.active === 1).map((r) => r.id));
    if (this.#simulating) activeIds.add(IMPLICIT_SIMULATOR_ID);
    this.#entries = [...next.values()].map((b) => b.entry).filter((e) => activeIds.has(e.id));
    // Long-lived sessions (SMPP binds) live where messages are sent: the worker role.
    if (this.#sessions) for (const e of fresh) await e.capabilities.sessions?.start().catch((err) => this.#log.error({ err, provider: e.id }, 'provider adapter failed to start'));
    for (const e of stale) await e.adapter.close?.().catch(() => {});
  }

  /** Active providers, highest priority (lowest number) first: the ones routing sends to. */
  active(): readonly ProviderEntry[] { return this.#entries; }

  /** Every provider with a record, active or not (webhooks, reconciliation), and the implicit simulator where allowed. */
  all(): readonly ProviderEntry[] { return [...this.#built.values()].map((b) => b.entry); }

  get(id: string): ProviderEntry | undefined { return this.#built.get(id)?.entry; }

  /** Whether the implicit simulator is serving sends now (no provider configured). */
  simulating(): boolean { return this.#simulating; }

  /** Whether a provider id names a simulator (the implicit one, or a record of kind simulator). */
  simulated(id: string | null): boolean { return id !== null && this.get(id)?.simulated === true; }

  async close(): Promise<void> {
    for (const e of this.all()) await e.adapter.close?.().catch(() => {});
  }

  #context(id: string, config: Record<string, unknown>): AdapterContext {
    return {
      providerId: id,
      config,
      // Only allow-listed names: a record written before the allow-list cannot read Switchboard's own secrets.
      secret: (name) => (envNameAllowed(name, this.#config.providerEnv) ? process.env[name] : undefined),
      publicUrl: this.#config.publicUrl,
      settings: this.#config,
      log: this.#log.child({ provider: id }),
      ...(this.#leases ? { leases: this.#leases } : {}),
      emitWebhook: (w) => this.#emit(id, w),
      accountState: (refused, detail) => this.onAccountState?.(id, refused, detail),
    };
  }

  #implicit(): ProviderEntry {
    return {
      id: IMPLICIT_SIMULATOR_ID, kind: simulator.kind, priority: 0, prices: IMPLICIT_PRICES, defaultFrom: simulator.defaultFrom, accountId: DEFAULT_ACCOUNT,
      legacyInbound: false, channels: simulator.channels ?? ['sms'], simulated: true, ...this.#adapter(IMPLICIT_SIMULATOR_ID, simulator, {}),
    };
  }

  /** Builds an adapter and discovers what it can do; a capability implemented in part is logged and not used. */
  #adapter(id: string, module: ProviderModule, config: Record<string, unknown>): { adapter: ProviderAdapter; capabilities: Capabilities } {
    const adapter = module.create(this.#context(id, config));
    for (const gap of partial(adapter)) this.#log.error({ provider: id, kind: module.kind }, `adapter implements a capability in part, so it is not used: ${gap}`);
    return { adapter, capabilities: capabilities(adapter) };
  }

  #build(row: ProviderRow): ProviderEntry | null {
    const module = this.#modules.get(row.kind);
    if (!module) { this.#log.error({ provider: row.id, kind: row.kind }, 'unknown provider kind; provider skipped'); return null; }
    const config = JSON.parse(row.config) as Record<string, unknown>;
    // A record written before a rule it now breaks (AWS's topic_arn, say) still loads; the log says what to add.
    for (const problem of module.validate(config)) this.#log.error({ provider: row.id, kind: row.kind }, `provider record needs a change: ${problem}`);
    for (const [key, name] of credentialRefs(config)) {
      if (typeof name !== 'string' || !envNameAllowed(name, this.#config.providerEnv)) {
        this.#log.error({ provider: row.id, key }, `config.${key} names a variable SWITCHBOARD_PROVIDER_ENV does not allow; it reads as unset`);
      }
    }
    return {
      id: row.id, kind: row.kind, priority: row.priority, prices: JSON.parse(row.prices),
      defaultFrom: typeof config.from === 'string' ? config.from : module.senderFrom?.(config) ?? module.defaultFrom,
      accountId: typeof config.account_id === 'string' ? config.account_id : DEFAULT_ACCOUNT,
      legacyInbound: module.legacyInbound === true,
      channels: module.channels ?? ['sms'],
      simulated: module.simulated === true,
      ...this.#adapter(row.id, module, config),
    };
  }
}
