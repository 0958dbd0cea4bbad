// Rate limits as GCRA (the generic cell rate algorithm): each key keeps one number, the
// theoretical arrival time (TAT) of its next slot. A reservation takes the slot at TAT
// (or now, if TAT has passed) and moves TAT on by one interval, so consecutive slots are
// never closer than 1/rate. `toleranceMs` says how far ahead a slot may be and still be
// taken: the worker waits that long for a number's next slot; intake uses it as the burst.
// A reservation may cost several slots (a message of 3 segments on a number limited in
// segments per second, as carriers count them): TAT then moves on by that many intervals.
export interface Reservation {
  /** true when a slot was reserved */
  ok: boolean;
  /** ok: how long to wait for the reserved slot; not ok: how long until one is within tolerance */
  waitMs: number;
}

export interface RateLimiter {
  reserve(key: string, perSecond: number, toleranceMs: number, cost?: number): Promise<Reservation>;
  /** connects, where there is something to connect to */
  start?(): Promise<void>;
  /** true while shared limits are unreachable and this process limits on its own */
  readonly degraded?: boolean;
  close(): Promise<void>;
}

/** One process's limits, in memory. */
export class MemoryLimiter implements RateLimiter {
  readonly #tat = new Map<string, number>();
  readonly #now: () => number;
  constructor(now: () => number = () => performance.timeOrigin + performance.now()) { this.#now = now; }

  async reserve(key: string, perSecond: number, toleranceMs: number, cost = 1): Promise<Reservation> {
    return this.reserveSync(key, perSecond, toleranceMs, cost);
  }

  reserveSync(key: string, perSecond: number, toleranceMs: number, cost = 1): Reservation {
    if (!(perSecond > 0) || perSecond === Infinity) return { ok: true, waitMs: 0 };
    const now = this.#now();
    const tat = Math.max(this.#tat.get(key) ?? now, now);
    const wait = tat - now;
    if (wait > toleranceMs) return { ok: false, waitMs: wait - toleranceMs };
    this.#tat.set(key, tat + (Math.max(1, cost) * 1000) / perSecond);
    if (this.#tat.size > 100_000) this.#sweep(now);
    return { ok: true, waitMs: wait };
  }

  #sweep(now: number): void {
    for (const [k, t] of this.#tat) if (t < now) this.#tat.delete(k);
  }

  async close(): Promise<void> {}
}
