// A sandbox's scripted behaviour (`switchboard sandbox <kind> --behaviour file.json`, or
// POST /_sandbox/behaviour): what a provider does to the sends it gets, in its own wire
// format (each sandbox answers a verdict as that provider would):
//   latency_ms        added before each answer to a send
//   error_rate        the share of sends answered with a provider error (5xx)
//   throttle_rate     the share answered "slow down" (429, or the provider's throttling code)
//   outages           [{ "from_s": 30, "to_s": 90 }]: seconds after the script started
//                     during which every send is answered as by a provider that is down
//   undelivered_rate  the share of accepted messages whose receipt says undelivered
//   receipts          false: no receipt is ever sent (lost receipts); default true
//   receipt_delay_ms  how long after the answer a receipt comes
// Rates are drawn per send; a script with none of them behaves like the real provider on
// a good day.

export interface SandboxBehaviour {
  latency_ms?: number;
  error_rate?: number;
  throttle_rate?: number;
  outages?: { from_s: number; to_s: number }[];
  undelivered_rate?: number;
  receipts?: boolean;
  receipt_delay_ms?: number;
}

export type Verdict = 'ok' | 'error' | 'throttle' | 'outage';
export type ReceiptOutcome = 'delivered' | 'undelivered' | 'lost';

const RATES = ['error_rate', 'throttle_rate', 'undelivered_rate'] as const;

/** A behaviour file's content, checked: a clear message for each mistake. */
export function parseBehaviour(value: unknown): SandboxBehaviour {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('a behaviour is a JSON object');
  const b = value as Record<string, unknown>;
  const known = ['latency_ms', 'error_rate', 'throttle_rate', 'outages', 'undelivered_rate', 'receipts', 'receipt_delay_ms'];
  const unknown = Object.keys(b).filter((k) => !known.includes(k));
  if (unknown.length) throw new Error(`unknown behaviour field(s) ${unknown.join(', ')} (known: ${known.join(', ')})`);
  for (const k of RATES) if (b[k] !== undefined && !(typeof b[k] === 'number' && b[k] >= 0 && b[k] <= 1)) throw new Error(`${k} is a share from 0 to 1`);
  for (const k of ['latency_ms', 'receipt_delay_ms']) if (b[k] !== undefined && !(Number.isInteger(b[k]) && (b[k] as number) >= 0)) throw new Error(`${k} is a whole number of milliseconds`);
  if (b.receipts !== undefined && typeof b.receipts !== 'boolean') throw new Error('receipts is true or false');
  if (b.outages !== undefined) {
    if (!Array.isArray(b.outages) || !b.outages.every((o) => o && typeof o.from_s === 'number' && typeof o.to_s === 'number' && o.from_s < o.to_s)) {
      throw new Error('outages is a list of { "from_s": N, "to_s": M } with from_s < to_s');
    }
  }
  return b as SandboxBehaviour;
}

export class Script {
  readonly behaviour: SandboxBehaviour;
  readonly #start: number;
  readonly #random: () => number;

  constructor(behaviour: SandboxBehaviour, opts: { startedAt?: number; random?: () => number } = {}) {
    this.behaviour = behaviour;
    this.#start = opts.startedAt ?? Date.now();
    this.#random = opts.random ?? Math.random;
  }

  /** What to answer the send arriving now. */
  verdict(now = Date.now()): Verdict {
    const b = this.behaviour;
    const t = (now - this.#start) / 1000;
    if (b.outages?.some((o) => t >= o.from_s && t < o.to_s)) return 'outage';
    const r = this.#random();
    if (r < (b.error_rate ?? 0)) return 'error';
    if (r < (b.error_rate ?? 0) + (b.throttle_rate ?? 0)) return 'throttle';
    return 'ok';
  }

  latencyMs(): number { return this.behaviour.latency_ms ?? 0; }

  /** What the receipt of a message accepted now says, or that none comes. */
  receipt(): ReceiptOutcome {
    if (this.behaviour.receipts === false) return 'lost';
    return this.#random() < (this.behaviour.undelivered_rate ?? 0) ? 'undelivered' : 'delivered';
  }

  receiptDelayMs(otherwise: number): number { return this.behaviour.receipt_delay_ms ?? otherwise; }
}
