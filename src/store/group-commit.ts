// Group commit: callers submit one item each and await its result; items that arrive
// while a flush is running are written together by the next flush, in one transaction.
// Under load every commit (and its fsync) is shared by many requests; idle, an item is
// written on the next tick, so latency stays low.
//
// `windowMs`: how long items gather before a batch that is not full is flushed (0: the
// next tick). A full batch goes at once. For bookkeeping nobody waits on for long (a
// worker's outcomes, raw webhooks) it makes batches several times larger where many
// processes share the work: each flush costs its round trips whatever its size, so the
// flush rate, not the message rate, sets a process's CPU.
//
// `inFlight`: how many flushes may run at once. 1 for a store whose flushes are separate
// round trips; a store that queues writes itself (SQLite's writer thread) takes more, so
// the next batch is already waiting there when a commit ends, instead of leaving only
// once its result came back.
export class GroupCommit<T, R> {
  readonly #flush: (items: T[]) => Promise<R[]>;
  readonly #max: number;
  readonly #inFlight: number;
  readonly #windowMs: number;
  #pending: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  #running = 0;
  #scheduled = false;
  #timer: NodeJS.Timeout | null = null;
  #idle: (() => void)[] = [];

  constructor(flush: (items: T[]) => Promise<R[]>, max = 500, inFlight = 1, windowMs = 0) {
    this.#flush = flush;
    this.#max = max;
    this.#inFlight = inFlight;
    this.#windowMs = windowMs;
  }

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      if (this.#timer && this.#pending.length >= this.#max) { clearTimeout(this.#timer); this.#timer = null; this.#scheduled = false; }
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#running >= this.#inFlight || this.#scheduled || this.#pending.length === 0) return;
    this.#scheduled = true;
    const go = () => { this.#scheduled = false; this.#timer = null; void this.#run(); };
    if (this.#windowMs > 0 && this.#pending.length < this.#max) this.#timer = setTimeout(go, this.#windowMs);
    else setImmediate(go);
  }

  async #run(): Promise<void> {
    if (this.#pending.length === 0) return this.#settle();
    this.#running++;
    const batch = this.#pending.splice(0, this.#max);
    this.#schedule(); // more than `max` waiting, or room for another flush in flight
    try {
      const results = await this.#flush(batch.map((b) => b.item));
      batch.forEach((b, i) => b.resolve(results[i]));
    } catch (err) {
      for (const b of batch) b.reject(err);
    }
    this.#running--;
    this.#schedule();
    this.#settle();
  }

  #settle(): void {
    if (this.#running > 0 || this.#scheduled || this.#pending.length > 0) return;
    for (const fn of this.#idle.splice(0)) fn();
  }

  /** Resolves once everything submitted so far is written. */
  drain(): Promise<void> {
    if (this.#running === 0 && !this.#scheduled && this.#pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }
}
