// Notifications paced (issue 26). Each NOTIFY reaches every listening process: a listening
// Node process spent about 85 µs of CPU on each one it heard while otherwise idle (a plain
// pg client hearing 640 a second, this 2-core machine), and every worker heard one per
// intake statement. A worker woken waits a batch window before it claims, so a process
// need not notify more often than once a window: the first write of a window carries the
// NOTIFY; the later ones do not, and are covered by one sent once the window is over,
// after they committed. A notification that cannot be sent (the database away) is left to
// the listeners' safety-net poll. Measured (api + 4 workers, 1,000 messages a second,
// 30,000, alternating runs): Switchboard's CPU 556-562 µs a message (a third run fell
// behind the rate, 835) → 482-540; PostgreSQL's 797-837 → 695-757.
export class NotifyPacer {
  readonly #everyMs: number;
  readonly #send: () => Promise<unknown>;
  #last = -Infinity;
  #trailing: NodeJS.Timeout | null = null;

  /** `everyMs` 0: every write notifies. `send`: a NOTIFY on its own. Times are monotonic (performance.now()): a wall clock set back must not hold notifications. */
  constructor(everyMs: number, send: () => Promise<unknown>) {
    this.#everyMs = everyMs;
    this.#send = send;
  }

  /** Whether a write starting now carries the NOTIFY itself. */
  take(now = performance.now()): boolean {
    if (now - this.#last < this.#everyMs) return false;
    this.#last = now;
    return true;
  }

  /** A write that did not carry the NOTIFY has committed: one is sent by the window's end. */
  owe(now = performance.now()): void {
    if (this.#trailing) return;
    this.#trailing = setTimeout(() => {
      this.#trailing = null;
      this.#last = performance.now();
      this.#send().catch(() => {});
    }, Math.max(0, this.#last + this.#everyMs - now));
    this.#trailing.unref();
  }

  /** Runs `write`, telling it whether to carry the NOTIFY (`take`); one that did not is owed one once it resolved (`owe`). */
  async around<T>(write: (notify: boolean) => Promise<T>): Promise<T> {
    const notify = this.take();
    const result = await write(notify);
    if (!notify) this.owe();
    return result;
  }

  /** A NOTIFY that goes with no write (a call for help): sent now if this window has had none, else once it is over. */
  notify(): void {
    if (this.take()) this.#send().catch(() => {}); else this.owe();
  }

  stop(): void {
    if (this.#trailing) clearTimeout(this.#trailing);
    this.#trailing = null;
  }
}
