// A provider that refused the account itself (credentials, suspension) has its circuit
// opened by the worker, and an SMPP bind refused for its credentials is likewise; the
// operator hears of it once per episode (alert `provider_account:<id>`), in the
// provider's own words, and again when it takes the account again: its bind accepted,
// or its circuit closed.
import type { Logger } from 'pino';
import type { AlertNotifier } from '../routing/alerts.ts';
import type { AlertStore } from '../store/store.ts';
import type { SendFailure } from '../providers/provider.ts';

export class AccountAlerts {
  readonly #notifier: AlertNotifier;
  readonly #store: Pick<AlertStore, 'setAlertState'>;
  readonly #log: Logger;

  constructor(o: { notifier: AlertNotifier; store: Pick<AlertStore, 'setAlertState'>; logger: Logger }) {
    this.#notifier = o.notifier;
    this.#store = o.store;
    this.#log = o.logger;
  }

  /** A send refused for the account. */
  sendRefused(providerId: string, e: SendFailure): void {
    this.#episode(providerId, true, `${providerId} refused the account: ${e.code}${e.providerCode ? ` (provider code ${e.providerCode})` : ''}: ${e.message}`);
  }

  /** A session (SMPP bind) refused for the account, or taken again. */
  sessionState(providerId: string, refused: boolean, detail: string): void {
    this.#episode(providerId, refused, refused ? `${providerId} refused the account: ${detail}` : `${providerId} takes the account again (${detail})`);
  }

  /** The provider's circuit closed: it takes traffic again. */
  circuitClosed(providerId: string): void {
    this.#episode(providerId, false, `${providerId} takes traffic again (its circuit closed)`);
  }

  #episode(providerId: string, firing: boolean, detail: string): void {
    this.#notifier.episode(this.#store, `provider_account:${providerId}`, firing, detail, Date.now()).catch((err) => this.#log.error({ err }, 'provider account alert failed'));
  }
}
