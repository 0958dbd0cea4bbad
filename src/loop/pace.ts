// Staying out of windows another process is claiming (issue 26). Claims on PostgreSQL are
// paced: one per batch window among the processes sharing a queue (claimDue, claimWebhooks).
// A process whose paced claim got nothing while work was due lost the window to another; if
// it came back every window, each of N processes would run a claim and a due-time read per
// window for nothing, and the CPU each message costs would grow with N. So a loser stays out
// for a window, then two, four, up to `maxWindows` (jittered so that losers do not return
// together), whatever wakes it meanwhile; any claim that takes work, or finds none due, ends it.
import { backoffMs } from './backoff.ts';

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

  /** A paced claim got nothing while work was due: how long to stay out (ms). */
  lost(): number {
    this.#losses = Math.min(this.#losses + 1, 16);
    return Math.max(this.#windowMs, backoffMs(this.#losses, this.#windowMs * 2, this.#windowMs * this.#maxWindows, this.#random));
  }

  /** A claim took work, or none was due: back to every window. */
  reset(): void { this.#losses = 0; }

  /** How many windows in a row were lost (0: none). */
  get losses(): number { return this.#losses; }
}
