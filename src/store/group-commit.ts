// Group commit: callers submit one item each and await its result; items that arrive
// while a flush is running are written together by the next flush, in one transaction.
// Under load every commit (and its fsync) is shared by many requests; idle, an item is
// written on the next tick, so latency stays low.
export class GroupCommit<T, R> {
  readonly #flush: (items: T[]) => Promise<R[]>;
  readonly #max: number;
  #pending: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  #running: Promise<void> | null = null;
  #scheduled = false;

  constructor(flush: (items: T[]) => Promise<R[]>, max = 500) {
    this.#flush = flush;
    this.#max = max;
  }

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#running || this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => { this.#scheduled = false; this.#running = this.#drain(); });
  }

  async #drain(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, this.#max);
      try {
        const results = await this.#flush(batch.map((b) => b.item));
        batch.forEach((b, i) => b.resolve(results[i]));
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
    this.#running = null;
  }

  /** Resolves once everything submitted so far is written. */
  async drain(): Promise<void> {
    while (this.#running || this.#scheduled || this.#pending.length) {
      await (this.#running ?? new Promise((r) => setImmediate(r)));
    }
  }
}
