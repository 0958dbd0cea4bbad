// Configuration changes reach every process within a second. Operators change providers,
// numbers, country and relay rules, templates and keys through any process (or the CLI,
// or SQL); the database bumps one version number on every such write (migration 011).
// Each process reads that number every SWITCHBOARD_CONFIG_POLL_MS, and on PostgreSQL the
// same write NOTIFYs it at once (poke()); when the number moved, `onChange` re-reads what
// the process caches. While the notifications reach it (`listening`: the LISTEN connection
// is up; one lost is followed by a poke once it is back), the poll is only a safety net and
// comes ten times less often: two statements a second less for every process. A failed
// check (the database away) is tried again on the next tick, and the version is only taken
// as seen once `onChange` succeeded.
import type { Logger } from 'pino';
import type { RecordStore } from '../store/store.ts';
import { Periodic } from '../loop/periodic.ts';

/** What this needs of the store. */
export type ConfigStore = Pick<RecordStore, 'configVersion'>;

/** how many times less often the version is polled while notifications reach the process */
export const QUIET = 10;

export class ConfigWatch {
  readonly #store: ConfigStore;
  readonly #onChange: () => Promise<void>;
  readonly #loop: Periodic;
  #seen: number | null = null;

  constructor(o: { store: ConfigStore; everyMs: number; logger: Logger; onChange: () => Promise<void>; listening?: () => boolean }) {
    this.#store = o.store;
    this.#onChange = o.onChange;
    const listening = o.listening;
    this.#loop = new Periodic(() => this.check(), listening ? () => (listening() ? o.everyMs * QUIET : o.everyMs) : o.everyMs, o.logger, 'configuration check');
  }

  /** Takes the current version as seen (the caller has just read the configuration) and starts watching. */
  async start(): Promise<void> {
    this.#seen = await this.#store.configVersion();
    this.#loop.start();
  }

  /** Another process changed something (a NOTIFY): check now. */
  poke(): void { this.#loop.poke(); }

  /** Re-reads the configuration if its version moved; true when it did. */
  async check(): Promise<boolean> {
    const version = await this.#store.configVersion();
    if (version === this.#seen) return false;
    await this.#onChange();
    this.#seen = version;
    return true;
  }

  stop(): Promise<void> { return this.#loop.stop(); }
}
