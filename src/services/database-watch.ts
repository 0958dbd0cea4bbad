// Whether this process reaches its database, seen from the process: a ping every
// `everyMs`. What it feeds: the `switchboard_database_up` gauge (1 or 0) and
// `switchboard_database_outages_total`, a log line when the database goes away and when it
// is back (with how long it was away), and the `database_down` alert once it has been
// away longer than `alertAfterMs`, resolved when it is back. The alert cannot live in the
// store like the other rules (the store is what is away), so each process alerts for
// itself, once per episode, and by webhook only (an SMS would be queued in the database).
import type { Logger } from 'pino';
import type { StoreLifecycle } from '../store/store.ts';
import { storeFailure } from '../store/failures.ts';
import { Periodic } from '../loop/periodic.ts';
import type { AlertNotifier } from '../routing/alerts.ts';

export interface DatabaseWatchMetrics { up(up: boolean): void; outage(): void }

export class DatabaseWatch {
  readonly #store: Pick<StoreLifecycle, 'ping' | 'dialect'>;
  readonly #log: Logger;
  readonly #notifier: AlertNotifier;
  readonly #metrics: DatabaseWatchMetrics;
  readonly #alertAfterMs: number;
  readonly #loop: Periodic;
  /** when the current outage began (null: the database answers) */
  #downSince: number | null = null;
  #lastError = '';
  #alerted = false;

  constructor(o: { store: Pick<StoreLifecycle, 'ping' | 'dialect'>; everyMs: number; alertAfterMs: number; logger: Logger; notifier: AlertNotifier; metrics: DatabaseWatchMetrics }) {
    this.#store = o.store;
    this.#log = o.logger;
    this.#notifier = o.notifier;
    this.#metrics = o.metrics;
    this.#alertAfterMs = o.alertAfterMs;
    this.#loop = new Periodic(() => this.check(), o.everyMs, o.logger, 'database check');
  }

  start(): void { this.#loop.start(); }
  stop(): Promise<void> { return this.#loop.stop(); }

  /** Pings the database once and moves the episode on; `now` for tests. */
  async check(now = Date.now()): Promise<void> {
    let failure: string | null = null;
    try {
      await this.#store.ping();
    } catch (err) {
      // An error that is no outage (a bug) is thrown to the loop's log, not counted as one.
      if (!storeFailure(err)) throw err;
      failure = (err as Error).message;
    }
    this.#metrics.up(failure === null);
    if (failure !== null) await this.#down(failure, now);
    else if (this.#downSince !== null) await this.#up(now);
  }

  async #down(error: string, now: number): Promise<void> {
    this.#lastError = error;
    if (this.#downSince === null) {
      this.#downSince = now;
      this.#metrics.outage();
      this.#log.error({ err: error }, `the ${this.#store.dialect} database is unreachable: intake answers 503 until it is back`);
    }
    if (!this.#alerted && now - this.#downSince >= this.#alertAfterMs) {
      this.#alerted = true;
      await this.#notifier.notify({ rule: 'database_down', state: 'firing', detail: this.#detail(now), at: new Date(now).toISOString() }, { sms: false });
    }
  }

  async #up(now: number): Promise<void> {
    const awayMs = now - this.#downSince!;
    this.#downSince = null;
    this.#log.info({ awayMs }, `the ${this.#store.dialect} database answers again after ${Math.round(awayMs / 1000)} s`);
    if (this.#alerted) {
      this.#alerted = false;
      await this.#notifier.notify({ rule: 'database_down', state: 'resolved', detail: `the ${this.#store.dialect} database answers again after ${Math.round(awayMs / 1000)} s`, at: new Date(now).toISOString() });
    }
  }

  #detail(now: number): string {
    return `the ${this.#store.dialect} database has been unreachable for ${Math.round((now - this.#downSince!) / 1000)} s: ${this.#lastError}`;
  }
}
