// Staying out of windows another process is claiming (issue 26). Claims on PostgreSQL are
// paced: one per batch window among the processes sharing a queue (claimDue, claimWebhooks).
// A paced claim the store refused (`refused`: another process's claim took the window) claimed
// nothing; if the process came back every window, each of N processes would run a claim and a
// due-time read per window for nothing, and the CPU each message costs would grow with N. So it
// stays out for a window and one to two more, then up to `maxWindows` more as refusals go on
// (jittered so that those refused do not return together), whatever wakes it meanwhile; any
// claim that is not refused ends it.
import { backoffMs } from './backoff.ts';
import type { Wakeup } from './wakeup.ts';

export class Pace {
  #losses = 0;
  readonly #windowMs: number;
  readonly #maxWindows: number;
  readonly #random: () => number;

  constructor(windowMs: number, maxWindows = 8, random = Math.random) {
    this.#windowMs = windowMs;
    this.#maxWindows = maxWindows;
    this.#random = random;
  }

  /** A paced claim was refused: how long to stay out (ms). */
  lost(): number {
    this.#losses = Math.min(this.#losses + 1, 16);
    // At least one window and a bit: the process that took the window claims again one window after.
    return this.#windowMs + backoffMs(this.#losses, this.#windowMs * 2, this.#windowMs * this.#maxWindows, this.#random);
  }

  /** A claim was not refused: back to every window. */
  reset(): void { this.#losses = 0; }

  /**
   * After a claim: a refused one stays out (`lost`), whatever wakes `wake` meanwhile, unless
   * `done()` (a stop); says whether it did. Any other claim ends a run of refusals.
   */
  async afterClaim(refused: boolean, wake: Wakeup, done: () => boolean): Promise<boolean> {
    if (!refused) { this.reset(); return false; }
    await wake.hold(this.lost(), done);
    return true;
  }

  /** How many windows in a row were lost (0: none). */
  get losses(): number { return this.#losses; }
}
