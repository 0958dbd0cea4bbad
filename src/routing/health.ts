// Live provider health: a sliding window of send results per provider (the error rate
// routing reads) with a circuit breaker on top, and the recent delivery rate from receipts.
//
// Circuit states: closed (traffic flows) → open when the window holds at least
// `minSamples` attempts and more than `threshold` of them failed (transient, throttled or
// timed out; a permanent refusal is about the message, not the provider) → after
// `openMs`, half-open: one probe at a time may go through; its success closes the circuit
// with a fresh window, its failure opens it again.
export type CircuitState = 'closed' | 'open' | 'half_open';

export interface HealthOptions { windowMs: number; threshold: number; minSamples: number; openMs: number }

interface Counts { ok: number; err: number; delivered: number; undelivered: number }

const BUCKETS = 30;

class Window {
  readonly #bucketMs: number;
  readonly #buckets: (Counts & { start: number })[] = [];
  constructor(windowMs: number) { this.#bucketMs = Math.max(1, Math.ceil(windowMs / BUCKETS)); }

  add(now: number, field: keyof Counts): void {
    const start = now - (now % this.#bucketMs);
    let b = this.#buckets.at(-1);
    if (!b || b.start !== start) {
      b = { start, ok: 0, err: 0, delivered: 0, undelivered: 0 };
      this.#buckets.push(b);
      if (this.#buckets.length > BUCKETS + 1) this.#buckets.shift();
    }
    b[field]++;
  }

  sum(now: number): Counts {
    const since = now - this.#bucketMs * BUCKETS;
    const out = { ok: 0, err: 0, delivered: 0, undelivered: 0 };
    for (const b of this.#buckets) {
      if (b.start < since) continue;
      out.ok += b.ok; out.err += b.err; out.delivered += b.delivered; out.undelivered += b.undelivered;
    }
    return out;
  }

  clearSends(): void { for (const b of this.#buckets) { b.ok = 0; b.err = 0; } }
}

interface Provider { window: Window; state: CircuitState; openedAt: number; probing: boolean }

export interface HealthView { state: CircuitState; sends: number; errors: number; errorRate: number; deliveryRate: number | null }

export class Health {
  readonly #o: HealthOptions;
  readonly #providers = new Map<string, Provider>();
  /** called when a circuit changes state (metrics, logs) */
  onChange: (providerId: string, state: CircuitState) => void = () => {};

  constructor(o: HealthOptions) { this.#o = o; }

  #get(id: string): Provider {
    let p = this.#providers.get(id);
    if (!p) { p = { window: new Window(this.#o.windowMs), state: 'closed', openedAt: 0, probing: false }; this.#providers.set(id, p); }
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
      if (ok) { p.window.clearSends(); p.window.add(now, 'ok'); this.#set(id, p, 'closed'); }
      else { p.openedAt = now; this.#set(id, p, 'open'); }
      return;
    }
    p.window.add(now, ok ? 'ok' : 'err');
    if (p.state !== 'closed' || ok) return;
    const c = p.window.sum(now);
    const total = c.ok + c.err;
    if (total >= this.#o.minSamples && c.err / total > this.#o.threshold) { p.openedAt = now; this.#set(id, p, 'open'); }
  }

  /** Releases a probe slot taken by `begin` that was not used (the send did not happen). */
  release(id: string): void { const p = this.#providers.get(id); if (p) p.probing = false; }

  recordReceipt(id: string, delivered: boolean, now: number): void {
    this.#get(id).window.add(now, delivered ? 'delivered' : 'undelivered');
  }

  view(id: string, now: number): HealthView {
    const state = this.state(id, now);
    const p = this.#providers.get(id);
    const c = p ? p.window.sum(now) : { ok: 0, err: 0, delivered: 0, undelivered: 0 };
    const total = c.ok + c.err;
    const receipts = c.delivered + c.undelivered;
    return { state, sends: total, errors: c.err, errorRate: total ? c.err / total : 0, deliveryRate: receipts >= 10 ? c.delivered / receipts : null };
  }
}
