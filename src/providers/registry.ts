// Provider records → live adapters (re-read by the Router on every routing refresh). Records live in the database (managed through the
// API, CLI and `switchboard apply`); secrets are never stored, records name the env var.
// With no provider configured, the built-in simulator serves with one simulated number.
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { ProviderRow, Store } from '../store/store.ts';
import type { AdapterContext, AdapterFactory, ProviderAdapter } from './provider.ts';
import { createSimulator, SIMULATOR_NUMBER } from './simulator/adapter.ts';
import { createTwilio, validateTwilioConfig } from './twilio/adapter.ts';
import { credentialRefs, envNameAllowed } from './credentials.ts';

/** Problems with a provider record's config, by kind (empty when it is usable). */
export function validateProviderConfig(kind: string, config: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(config)) {
    if (/(token|secret|password|api_key)$/i.test(key) && !key.endsWith('_sid')) problems.push(`config.${key} looks like a secret value; name its environment variable instead (${key}_env)`);
  }
  if (kind === 'twilio') problems.push(...validateTwilioConfig(config));
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
  adapter: ProviderAdapter;
}

export const IMPLICIT_SIMULATOR_ID = 'simulator';
const IMPLICIT_PRICES = { '*': '0.0050' };

export type EmitWebhook = (providerId: string, w: Parameters<AdapterContext['emitWebhook']>[0]) => Promise<void>;

export class ProviderRegistry {
  readonly #store: Store;
  readonly #config: Config;
  readonly #emit: EmitWebhook;
  readonly #log: Logger;
  readonly #factories: Record<string, AdapterFactory>;
  #entries: ProviderEntry[] = [];
  #signature = '';

  constructor(opts: { store: Store; config: Config; emitWebhook: EmitWebhook; logger: Logger; factories?: Record<string, AdapterFactory> }) {
    this.#store = opts.store;
    this.#config = opts.config;
    this.#emit = opts.emitWebhook;
    this.#log = opts.logger;
    const sim = opts.config;
    this.#factories = {
      simulator: (ctx) => createSimulator(ctx, { latencyMs: sim.simulatorLatencyMs, failureRate: sim.simulatorFailureRate, undeliveredRate: sim.simulatorUndeliveredRate }),
      twilio: createTwilio,
      ...opts.factories,
    };
  }

  async refresh(): Promise<void> {
    const rows = (await this.#store.listProviders()).filter((r) => r.active === 1);
    const signature = JSON.stringify(rows.map((r) => [r.id, r.updated_at]));
    if (signature === this.#signature && this.#entries.length > 0) return;
    const old = this.#entries;
    this.#entries = rows.length > 0 ? rows.flatMap((r) => this.#build(r)) : [this.#implicit()];
    this.#signature = signature;
    for (const e of old) await e.adapter.close?.().catch(() => {});
  }

  /** Active providers, highest priority (lowest number) first. */
  active(): readonly ProviderEntry[] { return this.#entries; }

  get(id: string): ProviderEntry | undefined { return this.#entries.find((e) => e.id === id); }

  kinds(): string[] { return Object.keys(this.#factories); }

  async close(): Promise<void> {
    for (const e of this.#entries) await e.adapter.close?.().catch(() => {});
  }

  #context(id: string, config: Record<string, unknown>): AdapterContext {
    return {
      providerId: id,
      config,
      // Only allow-listed names: a record written before the allow-list cannot read Switchboard's own secrets.
      secret: (name) => (envNameAllowed(name, this.#config.providerEnv) ? process.env[name] : undefined),
      publicUrl: this.#config.publicUrl,
      emitWebhook: (w) => this.#emit(id, w),
    };
  }

  #implicit(): ProviderEntry {
    return {
      id: IMPLICIT_SIMULATOR_ID, kind: 'simulator', priority: 0, prices: IMPLICIT_PRICES, defaultFrom: SIMULATOR_NUMBER, accountId: 'default',
      adapter: this.#factories.simulator(this.#context(IMPLICIT_SIMULATOR_ID, {})),
    };
  }

  #build(row: ProviderRow): ProviderEntry[] {
    const factory = this.#factories[row.kind];
    if (!factory) { this.#log.error({ provider: row.id, kind: row.kind }, 'unknown provider kind; provider skipped'); return []; }
    const config = JSON.parse(row.config) as Record<string, unknown>;
    for (const [key, name] of credentialRefs(config)) {
      if (typeof name !== 'string' || !envNameAllowed(name, this.#config.providerEnv)) {
        this.#log.error({ provider: row.id, key }, `config.${key} names a variable SWITCHBOARD_PROVIDER_ENV does not allow; it reads as unset`);
      }
    }
    return [{
      id: row.id, kind: row.kind, priority: row.priority, prices: JSON.parse(row.prices),
      defaultFrom: typeof config.from === 'string' ? config.from : row.kind === 'simulator' ? SIMULATOR_NUMBER : undefined,
      accountId: typeof config.account_id === 'string' ? config.account_id : 'default',
      adapter: factory(this.#context(row.id, config)),
    }];
  }
}
