// Notifications paced (issue 26). Each NOTIFY reaches every listening process: on this
// 2-core machine a listener's Node process spent about 85 µs of CPU on each one it heard
// (a wake-up, a read, a parse), and each worker heard one per intake statement: at 1,000
// messages a second with 4 workers, most of a message's CPU growth from 1 to 4 workers.
// A worker woken waits a batch window before it claims, so a process need not notify
// more often than once a window: the first write of a window carries the NOTIFY; the
// later ones do not, and are covered by one sent once the window is over, after they
// committed. A notification that cannot be sent (the database away) is left to the
// listeners' safety-net poll.
export class NotifyPacer {
  readonly #everyMs: number;
  readonly #send: () => Promise<unknown>;
  #last = -Infinity;
  #trailing: NodeJS.Timeout | null = null;

  /** `everyMs` 0: every write notifies. `send`: a NOTIFY on its own. */
  constructor(everyMs: number, send: () => Promise<unknown>) {
    this.#everyMs = everyMs;
    this.#send = send;
  }

  /** Whether a write starting now carries the NOTIFY itself. */
  take(now = Date.now()): boolean {
    if (now - this.#last < this.#everyMs) return false;
    this.#last = now;
    return true;
  }

  /** A write that did not carry the NOTIFY has committed: one is sent by the window's end. */
  owe(now = Date.now()): void {
    if (this.#trailing) return;
    this.#trailing = setTimeout(() => {
      this.#trailing = null;
      this.#last = Date.now();
      this.#send().catch(() => {});
    }, Math.max(0, this.#last + this.#everyMs - now));
    this.#trailing.unref();
  }

  stop(): void {
    if (this.#trailing) clearTimeout(this.#trailing);
    this.#trailing = null;
  }
}
