// Every account's settings (domain/consent.ts AccountSettings), read whole and kept in
// memory: intake checks them per message. Refreshed when the configuration changes
// (services/config-watch.ts: accounts is a configuration table) and after a change here.
import type { ConsentLedger } from '../store/store.ts';
import { accountSettings, type AccountSettings } from '../domain/consent.ts';

export class AccountSettingsCache {
  readonly #store: Pick<ConsentLedger, 'listAccountSettings'>;
  readonly #defaults: { optOutScope: string };
  /** what an account that set nothing has (intake asks per message: made once) */
  readonly #default: AccountSettings;
  #byAccount = new Map<string, AccountSettings>();

  constructor(store: Pick<ConsentLedger, 'listAccountSettings'>, defaults: { optOutScope: string }) {
    this.#store = store;
    this.#defaults = defaults;
    this.#default = Object.freeze(accountSettings(null, defaults));
  }

  async refresh(): Promise<void> {
    const rows = await this.#store.listAccountSettings();
    this.#byAccount = new Map(rows.filter((r) => r.settings).map((r) => [r.id, accountSettings(r.settings, this.#defaults)]));
  }

  get(accountId: string): AccountSettings {
    return this.#byAccount.get(accountId) ?? this.#default;
  }
}
