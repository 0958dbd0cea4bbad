// A background job run every `everyMs`, one run at a time, that stop() ends after the
// run under way finishes. A failed run is logged and the next one comes as usual.
import type { Logger } from 'pino';
import { Wakeup } from './wakeup.ts';

export class Periodic {
  readonly #run: () => Promise<unknown>;
  readonly #everyMs: number | (() => number);
  readonly #onError: (err: unknown) => void;
  readonly #wake = new Wakeup();
  #running: Promise<void> | null = null;
  #stopping = false;

  readonly #firstAfterMs: number;

  /** `everyMs`: the interval, or a function read after each run. `firstAfterMs`: how long after start() the first run comes (at once by default). */
  constructor(run: () => Promise<unknown>, everyMs: number | (() => number), logger: Logger, what: string, firstAfterMs = 0) {
    this.#run = run;
    this.#everyMs = everyMs;
    this.#firstAfterMs = firstAfterMs;
    this.#onError = (err) => logger.error({ err }, `${what} failed`);
  }

  /** true once stop() was called: long runs check it between batches */
  get stopping(): boolean { return this.#stopping; }

  start(): void { this.#running = this.#loop(); }

  /** runs now (or, if a run is under way, again as soon as it ends) instead of at the next tick */
  poke(): void { this.#wake.wake(); }

  async stop(): Promise<void> { this.#stopping = true; this.#wake.cancel(); await this.#running; }

  async #loop(): Promise<void> {
    if (this.#firstAfterMs > 0) await this.#wake.wait(this.#firstAfterMs);
    while (!this.#stopping) {
      try { await this.#run(); } catch (err) { this.#onError(err); }
      if (!this.#stopping) await this.#wake.wait(typeof this.#everyMs === 'number' ? this.#everyMs : this.#everyMs());
    }
  }
}
