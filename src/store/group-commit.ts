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
// `gather` (with a window): a batch smaller than `minBatch` when its window ends waits on,
// up to `maxWaitMs`, while flushes come back to back (the last one ended within three
// windows: a steady stream) — where several processes share a stream each sees a part of
// it, and a fixed window would have each flush as often as a lone process, its fixed cost
// paid for ever fewer items (issue 26). After a quiet spell a batch goes at its window, so
// a lone item waits no longer than before.
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
  readonly #gather: { minBatch: number; maxWaitMs: number } | null;
  /** when the batch being gathered started, and whether its window has ended */
  #gatheringSince = 0;
  #windowOver = false;
  #lastFlushEnd = -Infinity;

  constructor(flush: (items: T[]) => Promise<R[]>, max = 500, inFlight = 1, windowMs = 0, gather?: { minBatch: number; maxWaitMs: number }) {
    this.#flush = flush;
    this.#max = max;
    this.#inFlight = inFlight;
    this.#windowMs = windowMs;
    this.#gather = windowMs > 0 && gather ? gather : null;
  }

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      const enough = this.#pending.length >= this.#max || (this.#windowOver && this.#pending.length >= this.#gather!.minBatch);
      if (this.#timer && enough) { clearTimeout(this.#timer); this.#timer = null; this.#scheduled = false; this.#windowOver = false; this.#schedule(true); }
      else this.#schedule();
    });
  }

  /** `now`: the batch is big enough, whatever its window. */
  #schedule(now = false): void {
    if (this.#running >= this.#inFlight || this.#scheduled || this.#pending.length === 0) return;
    this.#scheduled = true;
    const go = () => { this.#scheduled = false; this.#timer = null; this.#windowOver = false; void this.#run(); };
    if (!now && this.#windowMs > 0 && this.#pending.length < this.#max) {
      this.#gatheringSince = Date.now();
      this.#timer = setTimeout(() => this.#windowEnded(go), this.#windowMs);
    } else setImmediate(go);
  }

  /** The window is over: flush, or (gathering, in a steady stream) wait for `minBatch` items or `maxWaitMs`. */
  #windowEnded(go: () => void): void {
    const g = this.#gather;
    const now = Date.now();
    const waitedMore = g ? g.maxWaitMs - (now - this.#gatheringSince) : 0;
    if (!g || this.#pending.length >= g.minBatch || waitedMore <= 0 || now - this.#lastFlushEnd > 3 * this.#windowMs) return go();
    this.#windowOver = true;
    this.#timer = setTimeout(go, waitedMore);
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
    this.#lastFlushEnd = Date.now();
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

/**
 * One GroupCommit per partition (a region, store/regional/): each partition's items are
 * written together, and a partition whose store is away refuses only its own.
 */
export class PartitionedCommit<T, R> {
  readonly #parts: GroupCommit<T, R>[];

  constructor(partitions: number, make: () => GroupCommit<T, R>) {
    this.#parts = Array.from({ length: Math.max(1, partitions) }, make);
  }

  submit(partition: number, item: T): Promise<R> { return this.#parts[partition].submit(item); }

  async drain(): Promise<void> { await Promise.all(this.#parts.map((p) => p.drain())); }
}
