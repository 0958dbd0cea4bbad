// Failed sign-ins per name (an SMPP system_id, a source address): after BIND_FAILURES
// within BIND_FAILURE_WINDOW_MS the name is locked out (every attempt refused, the right
// password too) for LOCKOUT_MS, doubling with each lockout up to LOCKOUT_MAX_MS; a
// successful sign-in clears it where the caller says so. Bounded, so a scan of random
// names cannot grow it without end. Per process: each process counts what it sees.
const BIND_FAILURES = 5;
const BIND_FAILURE_WINDOW_MS = 300_000;
const LOCKOUT_MS = 60_000;
const LOCKOUT_MAX_MS = 900_000;
const TRACKED_MAX = 10_000;

interface Failures { at: number[]; lockouts: number; lockedUntil: number }

export class FailureGuard {
  readonly #failures = new Map<string, Failures>();
  readonly #limit: number;

  /** `limit`: failures within the window that lock a name out (BIND_FAILURES by default). */
  constructor(limit = BIND_FAILURES) { this.#limit = limit; }

  /** How long `name` stays locked out, in ms (0: it is not). */
  lockedFor(name: string, now: number): number {
    return Math.max(0, (this.#failures.get(name)?.lockedUntil ?? 0) - now);
  }

  lockedOut(name: string, now: number): boolean {
    return this.lockedFor(name, now) > 0;
  }

  /** Counts a failure; answers how long `name` is now locked out for, or null. */
  failed(name: string, now: number): number | null {
    const f = this.#failures.get(name) ?? { at: [], lockouts: 0, lockedUntil: 0 };
    f.at = [...f.at.filter((t) => now - t < BIND_FAILURE_WINDOW_MS), now];
    let locked: number | null = null;
    if (f.at.length >= this.#limit) {
      locked = Math.min(LOCKOUT_MAX_MS, LOCKOUT_MS * 2 ** f.lockouts);
      f.lockouts++;
      f.lockedUntil = now + locked;
      f.at = [];
    }
    if (this.#failures.size >= TRACKED_MAX && !this.#failures.has(name)) this.#failures.delete(this.#failures.keys().next().value!);
    this.#failures.set(name, f);
    return locked;
  }

  /** A good sign-in: its failures are forgotten. */
  cleared(name: string): void { this.#failures.delete(name); }
}
