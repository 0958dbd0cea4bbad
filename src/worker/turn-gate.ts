// A rate-limited number's next slot goes to the waiting message whose turn comes first
// (domain/lanes.ts: lane, then turn key), not to the one that asked first. The limiter
// (routing/rate-limit) is asked for a slot no further ahead than SLOT_AHEAD_MS, and only
// by the first in line, so a message claimed later but due sooner (a one-time code
// behind a campaign) overtakes the ones already waiting in this process. A message that
// has waited SWITCHBOARD_RATE_WAIT_MS goes back to the queue, keeping its turn key.
import { setTimeout as sleep } from 'node:timers/promises';
import type { RateLimiter } from '../routing/rate-limit/limiter.ts';
import type { MessageRow } from '../store/store.ts';

/** How far ahead a slot is reserved: enough to keep a number busy, little enough that a later, earlier-turn message still finds the next one free. */
export const SLOT_AHEAD_MS = 50;

/** Where a message stands in line: lower first. */
export interface Turn { lane: number; key: number }

/** Where a claimed message stands in line for a number's slot: its lane and turn, or first when it came through the bulk lane's share. */
export function turnOf(row: Pick<MessageRow, 'lane' | 'fair_key'>, promoted: boolean): Turn {
  return { lane: promoted ? -1 : row.lane ?? 1, key: row.fair_key ?? 0 };
}

interface Waiter { turn: Turn; seq: number; wake: () => void }

const before = (a: Waiter, b: Waiter) => a.turn.lane - b.turn.lane || a.turn.key - b.turn.key || a.seq - b.seq;

export class TurnGate {
  readonly #limiter: RateLimiter;
  readonly #lines = new Map<string, Waiter[]>();
  #seq = 0;

  constructor(limiter: RateLimiter) { this.#limiter = limiter; }

  /**
   * Waits (up to `maxWaitMs`) for a slot of `key`, in turn order; ok once one is reserved
   * and its time has come. Not ok: how long until the number has a slot again.
   */
  async take(key: string, perSecond: number, cost: number, turn: Turn, maxWaitMs: number): Promise<{ ok: true } | { ok: false; waitMs: number }> {
    if (!(perSecond > 0) || perSecond === Infinity) return { ok: true }; // no limit: no line
    const deadline = Date.now() + maxWaitMs;
    const me: Waiter = { turn, seq: this.#seq++, wake: () => {} };
    const line = this.#lines.get(key) ?? [];
    this.#lines.set(key, line);
    this.#join(line, me);
    let waitMs = 0;
    try {
      for (;;) {
        const left = deadline - Date.now();
        if (line[0] !== me) {
          if (left <= 0) return { ok: false, waitMs: Math.max(1, waitMs) };
          await this.#until(me, left);
          continue;
        }
        const r = await this.#limiter.reserve(key, perSecond, SLOT_AHEAD_MS, cost);
        if (r.ok) {
          this.#leave(key, line, me);
          if (r.waitMs > 0) await sleep(r.waitMs);
          return { ok: true };
        }
        waitMs = r.waitMs;
        if (left <= 0) return { ok: false, waitMs };
        // Until the slot is near, or someone whose turn comes first arrives.
        await this.#until(me, Math.min(r.waitMs, left));
      }
    } finally {
      this.#leave(key, line, me);
    }
  }

  #join(line: Waiter[], me: Waiter): void {
    let i = line.length;
    while (i > 0 && before(me, line[i - 1]) < 0) i--;
    line.splice(i, 0, me);
    // A new first in line: the one it displaced stops asking and waits again.
    if (i === 0 && line.length > 1) line[1].wake();
  }

  #leave(key: string, line: Waiter[], me: Waiter): void {
    const i = line.indexOf(me);
    if (i < 0) return;
    line.splice(i, 1);
    if (line.length === 0) this.#lines.delete(key);
    else if (i === 0) line[0].wake();
  }

  /** Sleeps up to `ms`, or until woken (its place in line changed). */
  async #until(me: Waiter, ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      me.wake = resolve;
      timer = setTimeout(resolve, ms);
    });
    clearTimeout(timer);
    me.wake = () => {};
  }
}
