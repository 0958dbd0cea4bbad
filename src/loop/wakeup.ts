// A sleep that can be cut short: loops wait on it between batches and are woken by new
// work (an insert in this process, a NOTIFY from another) or at a known due time.
export class Wakeup {
  #resolve: (() => void) | null = null;
  #pending = false;
  #timer: NodeJS.Timeout | null = null;
  #timerAt = Infinity;

  wait(ms: number): Promise<void> {
    if (this.#pending) { this.#pending = false; return Promise.resolve(); }
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.#resolve = null; resolve(); }, ms);
      this.#resolve = () => { clearTimeout(t); this.#resolve = null; resolve(); };
    });
  }

  /** Waits `ms` whatever wakes it meanwhile, unless `done()` turns true (checked at each wake-up: stop cancels). */
  async hold(ms: number, done: () => boolean): Promise<void> {
    const until = Date.now() + ms;
    while (!done() && Date.now() < until) await this.wait(until - Date.now());
  }

  wake(): void {
    if (this.#resolve) this.#resolve();
    else this.#pending = true;
  }

  /** Wakes at `at` (epoch ms), keeping only the earliest such wake-up. */
  wakeAt(at: number): void {
    const delay = at - Date.now();
    if (delay <= 0) { this.wake(); return; }
    if (at >= this.#timerAt) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => { this.#timer = null; this.#timerAt = Infinity; this.wake(); }, delay);
    this.#timer.unref();
  }

  cancel(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = Infinity;
    this.wake();
  }
}
