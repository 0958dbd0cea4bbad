// ?wait=: holds a request until its message reaches a send outcome or the time runs out.
// Changes made in this process arrive on the bus at once; a short poll of the store
// covers messages sent by worker processes elsewhere.
import type { MessageLedger, MessageRow } from '../store/store.ts';
import type { MessageBus } from '../events/bus.ts';
import type { MessageStatus } from '../domain/status.ts';

/** What this needs of the store. */
export type WaitersStore = Pick<MessageLedger, 'getMessages'>;

const OUTCOMES: ReadonlySet<MessageStatus> = new Set(['sent', 'delivered', 'undelivered', 'failed', 'canceled', 'expired']);
const POLL_MS = 250;

export function isSendOutcome(s: MessageStatus): boolean { return OUTCOMES.has(s); }

export class Waiters {
  readonly #store: WaitersStore;
  readonly #waiting = new Map<string, Set<(m: MessageRow | null) => void>>();
  #timer: NodeJS.Timeout | null = null;

  constructor(store: WaitersStore, bus: MessageBus) {
    this.#store = store;
    bus.onStatus(({ message }) => { if (OUTCOMES.has(message.status)) this.#settle(message); });
  }

  /** The message once it has an outcome, or null after `ms`. */
  wait(id: string, ms: number): Promise<MessageRow | null> {
    if (this.#closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      const set = this.#waiting.get(id) ?? new Set();
      this.#waiting.set(id, set);
      const done = (m: MessageRow | null) => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0) this.#waiting.delete(id);
        resolve(m);
      };
      const timer = setTimeout(() => done(null), ms);
      set.add(done);
      this.#ensurePolling();
    });
  }

  #closed = false;

  /** Shutdown: every held request is answered now with the message as it stands, and later ones at once. */
  close(): void {
    this.#closed = true;
    for (const set of [...this.#waiting.values()]) for (const fn of [...set]) fn(null);
  }

  #settle(m: MessageRow): void {
    for (const fn of [...(this.#waiting.get(m.id) ?? [])]) fn(m);
  }

  #ensurePolling(): void {
    if (this.#timer) return;
    this.#timer = setInterval(async () => {
      if (this.#waiting.size === 0) { clearInterval(this.#timer!); this.#timer = null; return; }
      const rows = await this.#store.getMessages([...this.#waiting.keys()]).catch(() => []);
      for (const m of rows) if (OUTCOMES.has(m.status)) this.#settle(m);
    }, POLL_MS);
    this.#timer.unref();
  }
}
