// Failed binds per system_id: after BIND_FAILURES within BIND_FAILURE_WINDOW_MS the
// system_id is locked out (every bind refused, the right password too) for LOCKOUT_MS,
// doubling with each lockout up to LOCKOUT_MAX_MS; a successful bind clears it. Bounded,
// so a scan of random system_ids cannot grow it without end.
const BIND_FAILURES = 5;
const BIND_FAILURE_WINDOW_MS = 300_000;
const LOCKOUT_MS = 60_000;
const LOCKOUT_MAX_MS = 900_000;
const TRACKED_MAX = 10_000;

interface Failures { at: number[]; lockouts: number; lockedUntil: number }

export class BindGuard {
  readonly #failures = new Map<string, Failures>();

  lockedOut(systemId: string, now: number): boolean {
    return (this.#failures.get(systemId)?.lockedUntil ?? 0) > now;
  }

  /** Counts a failed bind; answers how long the system_id is now locked out for, or null. */
  failed(systemId: string, now: number): number | null {
    const f = this.#failures.get(systemId) ?? { at: [], lockouts: 0, lockedUntil: 0 };
    f.at = [...f.at.filter((t) => now - t < BIND_FAILURE_WINDOW_MS), now];
    let locked: number | null = null;
    if (f.at.length >= BIND_FAILURES) {
      locked = Math.min(LOCKOUT_MAX_MS, LOCKOUT_MS * 2 ** f.lockouts);
      f.lockouts++;
      f.lockedUntil = now + locked;
      f.at = [];
    }
    if (this.#failures.size >= TRACKED_MAX && !this.#failures.has(systemId)) this.#failures.delete(this.#failures.keys().next().value!);
    this.#failures.set(systemId, f);
    return locked;
  }

  /** A good bind: its failures are forgotten. */
  cleared(systemId: string): void { this.#failures.delete(systemId); }
}
