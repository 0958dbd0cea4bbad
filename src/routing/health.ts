// Live provider health: a sliding window of send results per provider (the error rate
// routing reads) with a circuit breaker on top, and the recent delivery rate from receipts.
//
// Circuit states: closed (traffic flows) → open when the window holds at least
// `minSamples` attempts and more than `threshold` of them failed (transient, throttled or
// timed out; a permanent refusal is about the message, not the provider) → after
// `openMs`, half-open: one probe at a time may go through; its success closes the circuit
// with a fresh window, its failure opens it again.
//
// Demotion on delivery (a soft outage: the provider accepts but stops delivering): when
// the window holds at least `minDeliverySamples` receipts and fewer than
// `minDeliveryRate` of them were delivered, the provider is `demoted` (reason
// `delivery`). Routing places it after every healthy route, so traffic moves on; it is
// still used when nothing else is left (a poor route beats holding every message), and
// it recovers as the window slides: its last receipts age out, later ones judge it again.
//
// Demotion on latency (a provider that accepts and goes silent): with `receiptSlaMs` set,
// each final receipt is counted in the window's bucket of its send (`receipted`); of the
// sends in buckets that ended more than `receiptSlaMs` ago, if at least `minSamples` and
// more than half have no receipt yet, the provider is demoted (reason `latency`), placed
// and recovering as for `delivery`.
export type CircuitState = 'closed' | 'open' | 'half_open';
/** why a provider is not taking its full share of traffic: its send errors, or its receipts */
export type DemotionReason = 'errors' | 'delivery' | 'latency';

export interface HealthOptions {
  windowMs: number; threshold: number; minSamples: number; openMs: number;
  /** demote below this delivery rate (0 = never) */
  minDeliveryRate?: number;
  /** receipts the window must hold before the delivery rate judges (default 50) */
  minDeliverySamples?: number;
  /** a send's receipt is overdue this long after it (0 = never judged on latency) */
  receiptSlaMs?: number;
}

/** `receipted`: final receipts, counted in the bucket of their send (not of their arrival) */
export interface Counts { ok: number; err: number; delivered: number; undelivered: number; receipted: number }
/** sends and their receipts in the buckets old enough to judge latency by */
export interface DueCounts { ok: number; receipted: number }
export type CountField = keyof Counts;

/**
 * Where a process's health goes to be shared (routing/shared-health.ts, over Redis): its
 * own counts, and its circuits' transitions. Remote news comes back through
 * Health.remoteCounts/remoteOpen/remoteClose. Without one, health is per process.
 */
export interface HealthShare {
  counted(id: string, field: CountField, now: number): void;
  opened(id: string, now: number): void;
  closed(id: string, now: number): void;
}

const ZERO: Counts = Object.freeze({ ok: 0, err: 0, delivered: 0, undelivered: 0, receipted: 0 });
const NO_DUE: DueCounts = Object.freeze({ ok: 0, receipted: 0 });

const BUCKETS = 30;

class Window {
  readonly #bucketMs: number;
  readonly #buckets: (Counts & { start: number })[] = [];
  constructor(windowMs: number) { this.#bucketMs = bucketMs(windowMs); }

  /** Counts one at `at` (usually now; a receipt counts at its send's time, in an older bucket). */
  add(at: number, field: CountField): void {
    const start = at - (at % this.#bucketMs);
    let b = this.#buckets.at(-1);
    if (!b || b.start !== start) {
      b = this.#buckets.find((x) => x.start === start);
      if (!b) {
        if (this.#buckets.length > 0 && start < this.#buckets[0].start && this.#buckets.length > BUCKETS) return; // older than the window
        b = { start, ok: 0, err: 0, delivered: 0, undelivered: 0, receipted: 0 };
        this.#buckets.push(b);
        this.#buckets.sort((x, y) => x.start - y.start);
        if (this.#buckets.length > BUCKETS + 1) this.#buckets.shift();
      }
    }
    b[field]++;
  }

  sum(now: number): Counts {
    const since = now - this.#bucketMs * BUCKETS;
    const out = { ok: 0, err: 0, delivered: 0, undelivered: 0, receipted: 0 };
    for (const b of this.#buckets) {
      if (b.start < since) continue;
      out.ok += b.ok; out.err += b.err; out.delivered += b.delivered; out.undelivered += b.undelivered; out.receipted += b.receipted;
    }
    return out;
  }

  /** Sends and their receipts in the window's buckets that ended by `cutoff`. */
  due(now: number, cutoff: number): DueCounts {
    const since = now - this.#bucketMs * BUCKETS;
    const out = { ok: 0, receipted: 0 };
    for (const b of this.#buckets) {
      if (b.start < since || b.start + this.#bucketMs > cutoff) continue;
      out.ok += b.ok; out.receipted += b.receipted;
    }
    return out;
  }

  clearSends(): void { for (const b of this.#buckets) { b.ok = 0; b.err = 0; } }
}

/** How long one bucket of a window is. */
export function bucketMs(windowMs: number): number { return Math.max(1, Math.ceil(windowMs / BUCKETS)); }

/** The bucket a time falls in, the same in every process: buckets are shared by their start. */
export function bucketStart(windowMs: number, now: number): number {
  return now - (now % bucketMs(windowMs));
}

interface Provider { window: Window; state: CircuitState; openedAt: number; probing: boolean; remote: Counts; remoteDue: DueCounts }

export interface HealthView {
  state: CircuitState; sends: number; errors: number; errorRate: number; deliveryRate: number | null;
  /** set while routing holds the provider back: an open circuit (`errors`) or a poor delivery rate (`delivery`) */
  demoted: DemotionReason | null;
}

export class Health {
  readonly #o: HealthOptions;
  readonly #providers = new Map<string, Provider>();
  /** called when a circuit changes state (metrics, logs) */
  onChange: (providerId: string, state: CircuitState) => void = () => {};
  /** set when health is shared between processes */
  share: HealthShare | null = null;
  /** called when this process changed a circuit on its own evidence (not on another process's news), with why: the event stream */
  onDecided: ((providerId: string, state: 'open' | 'closed', why: string, now: number) => void) | null = null;

  constructor(o: HealthOptions) { this.#o = o; }

  #get(id: string): Provider {
    let p = this.#providers.get(id);
    if (!p) { p = { window: new Window(this.#o.windowMs), state: 'closed', openedAt: 0, probing: false, remote: ZERO, remoteDue: NO_DUE }; this.#providers.set(id, p); }
    return p;
  }

  #set(id: string, p: Provider, state: CircuitState): void {
    if (p.state === state) return;
    p.state = state;
    this.onChange(id, state);
  }

  /** The circuit's state now (an open circuit whose cool-down ended reads half-open). */
  state(id: string, now: number): CircuitState {
    const p = this.#providers.get(id);
    if (!p) return 'closed';
    if (p.state === 'open' && now - p.openedAt >= this.#o.openMs) this.#set(id, p, 'half_open');
    return p.state;
  }

  /** When an open circuit lets a probe through (half-open), or null when it is not open. */
  reopensAt(id: string, now: number): number | null {
    const p = this.#providers.get(id);
    return p && this.state(id, now) === 'open' ? p.openedAt + this.#o.openMs : null;
  }

  /** Whether a half-open circuit has its probe out (others wait for its answer). */
  probing(id: string): boolean { return this.#providers.get(id)?.probing ?? false; }

  /** Whether the provider's receipts say it stopped delivering (see the header). */
  #poorDelivery(c: Counts): boolean {
    const min = this.#o.minDeliveryRate ?? 0;
    const receipts = c.delivered + c.undelivered;
    return min > 0 && receipts >= (this.#o.minDeliverySamples ?? 50) && c.delivered / receipts < min;
  }

  /** The time before which a send's receipt is overdue now (null: latency is not judged). */
  dueCutoff(now: number): number | null {
    const sla = this.#o.receiptSlaMs ?? 0;
    return sla > 0 ? now - sla : null;
  }

  /** Whether most sends old enough to have their receipt have none (see the header). */
  #lateReceipts(p: Provider, now: number): boolean {
    const cutoff = this.dueCutoff(now);
    if (cutoff === null) return false;
    const local = p.window.due(now, cutoff);
    const ok = local.ok + p.remoteDue.ok;
    const receipted = local.receipted + p.remoteDue.receipted;
    return ok >= this.#o.minSamples && (ok - receipted) / ok > 0.5;
  }

  /** Asks to send through `id` now: false while open, or while half-open with a probe out. */
  begin(id: string, now: number): boolean {
    const state = this.state(id, now);
    if (state === 'closed') return true;
    if (state === 'open') return false;
    const p = this.#get(id);
    if (p.probing) return false;
    p.probing = true;
    return true;
  }

  /** Records one send result (`ok` false for transient, throttled and timeout failures). */
  record(id: string, ok: boolean, now: number): void {
    const p = this.#get(id);
    const probe = p.probing;
    p.probing = false;
    if (p.state === 'half_open' && probe) {
      if (ok) { p.window.clearSends(); p.window.add(now, 'ok'); p.remote = { ...p.remote, ok: 0, err: 0 }; this.#set(id, p, 'closed'); this.share?.closed(id, now); this.onDecided?.(id, 'closed', 'the half-open probe succeeded', now); }
      else { p.openedAt = now; this.#set(id, p, 'open'); this.share?.opened(id, now); this.onDecided?.(id, 'open', 'the half-open probe failed', now); }
      return;
    }
    p.window.add(now, ok ? 'ok' : 'err');
    this.share?.counted(id, ok ? 'ok' : 'err', now);
    if (p.state !== 'closed' || ok) return;
    const c = this.#sum(p, now);
    const total = c.ok + c.err;
    if (total >= this.#o.minSamples && c.err / total > this.#o.threshold) {
      p.openedAt = now; this.#set(id, p, 'open'); this.share?.opened(id, now);
      this.onDecided?.(id, 'open', `error rate ${(c.err / total).toFixed(2)} over ${total} sends is above ${this.#o.threshold}`, now);
    }
  }

  /**
   * Opens the circuit at once, whatever the window says: the provider refused the account
   * itself (credentials, a barred account, no credit). Half-open probes test it as usual.
   */
  trip(id: string, now: number): void {
    const p = this.#get(id);
    if (p.state === 'open') return;
    p.probing = false;
    p.openedAt = now;
    this.#set(id, p, 'open');
    this.share?.opened(id, now);
    this.onDecided?.(id, 'open', 'the provider refused the account', now);
  }

  /** this process's window plus the other processes' (when shared) */
  #sum(p: Provider, now: number): Counts {
    const c = p.window.sum(now);
    return { ok: c.ok + p.remote.ok, err: c.err + p.remote.err, delivered: c.delivered + p.remote.delivered, undelivered: c.undelivered + p.remote.undelivered, receipted: c.receipted + p.remote.receipted };
  }

  /** The other processes' counts in the window (shared health); null forgets them (Redis unreachable). */
  remoteCounts(id: string, counts: Counts | null, due: DueCounts | null = null): void {
    const p = this.#get(id);
    p.remote = counts ?? ZERO;
    p.remoteDue = due ?? NO_DUE;
  }

  /** Another process opened this circuit at `openedAt` (by this process's clock). */
  remoteOpen(id: string, openedAt: number): void {
    const p = this.#get(id);
    if (p.state === 'open' && p.openedAt >= openedAt) return;
    p.probing = false;
    p.openedAt = openedAt;
    this.#set(id, p, 'open');
  }

  /** Another process's probe went through: the circuit closes with a fresh window of sends. */
  remoteClose(id: string): void {
    const p = this.#providers.get(id);
    if (!p || p.state === 'closed') return;
    p.probing = false;
    p.window.clearSends();
    p.remote = { ...p.remote, ok: 0, err: 0 };
    this.#set(id, p, 'closed');
  }

  /** Releases a probe slot taken by `begin` that was not used (the send did not happen). */
  release(id: string): void { const p = this.#providers.get(id); if (p) p.probing = false; }

  /** A final receipt: delivered or not, now; and (for latency) for a send made at `sentAt`. */
  recordReceipt(id: string, delivered: boolean, now: number, sentAt?: number | null): void {
    const field = delivered ? 'delivered' : 'undelivered';
    const p = this.#get(id);
    p.window.add(now, field);
    this.share?.counted(id, field, now);
    if (sentAt != null && sentAt <= now) {
      p.window.add(sentAt, 'receipted');
      this.share?.counted(id, 'receipted', sentAt);
    }
  }

  view(id: string, now: number): HealthView {
    const state = this.state(id, now);
    const p = this.#providers.get(id);
    const c = p ? this.#sum(p, now) : ZERO;
    const total = c.ok + c.err;
    const receipts = c.delivered + c.undelivered;
    const demoted = state !== 'closed' ? 'errors' : this.#poorDelivery(c) ? 'delivery' : p && this.#lateReceipts(p, now) ? 'latency' : null;
    return { state, sends: total, errors: c.err, errorRate: total ? c.err / total : 0, deliveryRate: receipts >= 10 ? c.delivered / receipts : null, demoted };
  }
}
