// One SMPP bind to a carrier (an ESME session), kept up for the life of the provider:
// connect and bind (transceiver, transmitter or receiver), enquire_link every `enquireLinkSeconds` with a dead
// link detected when it goes unanswered, reconnect with jittered exponential backoff capped at a few seconds
// (a refused bind — wrong password, unknown system_id — waits the longest and says why,
// instead of retrying in a tight loop), a window of outstanding submit_sm, an optional
// submits-per-second pace, graceful unbind on close. deliver_sm PDUs are handed to
// `onDeliver` and acknowledged once it resolves (stored), so the SMSC keeps and
// redelivers what Switchboard did not store.
import smpp, { type PDU, type Session } from 'smpp';
import { readFileSync } from 'node:fs';
import { classifySmpp } from './errors.ts';
import { smppFieldFits } from '../../domain/smpp.ts';

export type BindState = 'connecting' | 'bound' | 'down' | 'closed';

export interface BindOptions {
  /** transceiver: submits and deliver_sm on one session; transmitter or receiver: one of each */
  mode: 'transceiver' | 'transmitter' | 'receiver';
  host: string;
  port: number;
  tls: boolean;
  caFile?: string;
  systemId: string;
  password: () => string;
  systemType: string;
  window: number;
  submitsPerSecond: number;
  enquireLinkSeconds: number;
  /** stores one deliver_sm (receipt or inbound text); rejects when it could not */
  onDeliver(pdu: PDU): Promise<void>;
  onState?(state: BindState, reason: string): void;
  /** the SMSC refused the bind (`refused`: its credentials), or bound after refusing */
  onRefused?(refused: boolean, detail: string): void;
  log: { warn(o: object, msg: string): void; info(o: object, msg: string): void };
}

// A lost link is retried at most every few seconds (with jitter), so a bind is back within
// about 4 s of the SMSC returning; messages wait queued meanwhile (the adapter is not
// ready). A refused bind (credentials) waits the longest: retrying cannot fix it.
const MAX_BACKOFF_MS = 3_000;
const REFUSED_BACKOFF_MS = 60_000;

export class SmppBind {
  #refused = false;
  readonly #o: BindOptions;
  #session: Session | null = null;
  #state: BindState = 'connecting';
  #reason = 'connecting';
  #failures = 0;
  #retry: NodeJS.Timeout | null = null;
  #enquire: NodeJS.Timeout | null = null;
  #awaitingLink = false;
  #inflight = 0;
  #waiting: (() => void)[] = [];
  /** how each submit awaiting its submit_sm_resp fails if the session goes first */
  readonly #lost = new Set<() => void>();
  #nextSlot = 0;
  #boundWaiters: (() => void)[] = [];
  /** figures for metrics */
  readonly stats = { submitted: 0, throttled: 0, latencyMsTotal: 0 };

  constructor(o: BindOptions) { this.#o = o; }

  get state(): BindState { return this.#state; }
  get mode(): BindOptions['mode'] { return this.#o.mode; }
  get reason(): string { return this.#reason; }
  get inflight(): number { return this.#inflight; }

  start(): void { this.#connect(); }

  /** Resolves once bound, or after `ms` (false). */
  waitBound(ms: number): Promise<boolean> {
    if (this.#state === 'bound') return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.#boundWaiters = this.#boundWaiters.filter((f) => f !== done); resolve(false); }, ms);
      const done = () => { clearTimeout(t); resolve(true); };
      this.#boundWaiters.push(done);
    });
  }

  #set(state: BindState, reason: string): void {
    this.#state = state;
    this.#reason = reason;
    this.#o.onState?.(state, reason);
    if (state === 'bound') for (const f of this.#boundWaiters.splice(0)) f();
  }

  #connect(): void {
    if (this.#state === 'closed') return;
    this.#set('connecting', 'connecting');
    const o = this.#o;
    const session = smpp.connect({
      host: o.host, port: o.port, tls: o.tls, ...(o.caFile ? { ca: readFileSync(o.caFile) } : {}),
    });
    this.#session = session;
    session.on(o.tls ? 'secureConnect' : 'connect', () => {
      const bindAs = o.mode === 'transmitter' ? session.bind_transmitter : o.mode === 'receiver' ? session.bind_receiver : session.bind_transceiver;
      const password = o.password();
      bindAs.call(session, { system_id: o.systemId, password, system_type: o.systemType, interface_version: 0x34 }, (resp) => {
        if (resp.command_status !== 0) {
          const { name } = classifySmpp(resp.command_status);
          this.#failures = Math.max(this.#failures, 6);
          // SMPP 3.4 allows 8 password characters (9 octets with the NUL): a strict SMSC refuses more.
          const hint = smppFieldFits('password', password) ? '' : ` (the password has ${password.length} characters; SMPP 3.4 allows 8)`;
          this.#refused = true;
          this.#o.onRefused?.(true, `${o.systemId}: bind refused: ${name}${hint}`);
          this.#down(`bind refused: ${name}${hint}`, REFUSED_BACKOFF_MS);
          return;
        }
        if (this.#refused) { this.#refused = false; this.#o.onRefused?.(false, `${o.systemId}: bound again`); }
        this.#failures = 0;
        this.#set('bound', 'bound');
        this.#startEnquireLink();
        this.#pump();
      });
    });
    session.on('deliver_sm', (pdu: PDU) => {
      o.onDeliver(pdu).then(
        () => session.send(pdu.response()),
        // Not stored: a temporary error, so the SMSC delivers it again.
        () => session.send(pdu.response({ command_status: 0x64 })),
      );
    });
    session.on('enquire_link', (pdu: PDU) => session.send(pdu.response()));
    session.on('unbind', (pdu: PDU) => { session.send(pdu.response()); session.close(); });
    session.on('generic_nack', (pdu: PDU) => o.log.warn({ status: pdu.command_status, seq: pdu.sequence_number }, 'SMSC answered generic_nack'));
    session.on('error', (err: Error) => this.#down(`connection error: ${err.message}`));
    session.on('close', () => this.#down('connection closed'));
  }

  #down(reason: string, minDelayMs = 0): void {
    if (this.#state === 'closed') return;
    const session = this.#session;
    this.#session = null;
    if (session) { session.removeAllListeners('close'); session.removeAllListeners('error'); session.on('error', () => {}); session.destroy(); }
    this.#loseInflight();
    this.#stopEnquireLink();
    if (this.#state !== 'down' || this.#reason !== reason) this.#o.log.warn({ system_id: this.#o.systemId, reason }, 'SMPP bind down');
    this.#set('down', reason);
    // Everyone waiting for a window slot is let go: their submit fails and is retried.
    for (const f of this.#waiting.splice(0)) f();
    this.#failures++;
    if (this.#retry) return;
    const backoff = Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(this.#failures, 8));
    const delay = Math.max(minDelayMs, backoff) * (0.75 + Math.random() * 0.5);
    this.#retry = setTimeout(() => { this.#retry = null; this.#connect(); }, delay);
    this.#retry.unref();
  }

  #startEnquireLink(): void {
    this.#stopEnquireLink();
    this.#enquire = setInterval(() => {
      const session = this.#session;
      if (!session) return;
      if (this.#awaitingLink) { this.#down('enquire_link unanswered: dead link'); return; }
      this.#awaitingLink = true;
      session.enquire_link({}, () => { this.#awaitingLink = false; });
    }, this.#o.enquireLinkSeconds * 1000);
    this.#enquire.unref();
  }

  #stopEnquireLink(): void {
    if (this.#enquire) clearInterval(this.#enquire);
    this.#enquire = null;
    this.#awaitingLink = false;
  }

  /** Waits for a window slot (and the pace), sends one submit_sm, resolves with its response. */
  async submit(fields: Record<string, unknown>, signal: AbortSignal): Promise<PDU> {
    await this.#slot(signal);
    const session = this.#session;
    if (!session || this.#state !== 'bound') { this.#release(); throw Object.assign(new Error(`SMPP bind not bound (${this.#reason})`), { code: 'SMPP_UNBOUND' }); }
    const started = Date.now();
    try {
      return await new Promise<PDU>((resolve, reject) => {
        const onAbort = () => { this.#lost.delete(onClose); reject(signal.reason ?? Object.assign(new Error('aborted'), { name: 'AbortError' })); };
        signal.addEventListener('abort', onAbort, { once: true });
        const onClose = () => reject(Object.assign(new Error('SMPP connection lost before submit_sm_resp'), { code: 'SMPP_CLOSED' }));
        this.#lost.add(onClose);
        const sent = session.submit_sm(fields, (resp) => {
          signal.removeEventListener('abort', onAbort);
          this.#lost.delete(onClose);
          resolve(resp);
        });
        if (!sent) { this.#lost.delete(onClose); reject(Object.assign(new Error('SMPP socket not writable'), { code: 'SMPP_CLOSED' })); }
      });
    } finally {
      this.stats.submitted++;
      this.stats.latencyMsTotal += Date.now() - started;
      this.#release();
    }
  }

  async #slot(signal: AbortSignal): Promise<void> {
    while (this.#inflight >= this.#o.window) {
      signal.throwIfAborted();
      await new Promise<void>((r) => { this.#waiting.push(r); });
      if (this.#state !== 'bound') break;
    }
    this.#inflight++;
    if (this.#o.submitsPerSecond > 0) {
      const now = Date.now();
      const at = Math.max(now, this.#nextSlot);
      this.#nextSlot = at + 1000 / this.#o.submitsPerSecond;
      if (at > now) await new Promise((r) => setTimeout(r, at - now));
    }
  }

  /** Submits still waiting for their submit_sm_resp fail now: their session is gone. */
  #loseInflight(): void {
    for (const f of this.#lost) f();
    this.#lost.clear();
  }

  #release(): void {
    this.#inflight = Math.max(0, this.#inflight - 1);
    this.#waiting.shift()?.();
  }

  #pump(): void { while (this.#waiting.length > 0 && this.#inflight < this.#o.window) this.#waiting.shift()?.(); }

  /** Unbinds (waiting briefly for unbind_resp), then closes; no reconnect after this. */
  async close(): Promise<void> {
    if (this.#retry) clearTimeout(this.#retry);
    this.#stopEnquireLink();
    const session = this.#session;
    const wasBound = this.#state === 'bound';
    this.#set('closed', 'closed');
    if (!session) return;
    session.removeAllListeners('close');
    session.removeAllListeners('error');
    session.on('error', () => {});
    if (wasBound) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 2_000);
        if (!session.unbind({}, () => { clearTimeout(t); resolve(); })) { clearTimeout(t); resolve(); }
      });
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => { session.destroy(); resolve(); }, 1_000);
      session.close(() => { clearTimeout(t); resolve(); });
    });
    this.#loseInflight();
  }
}
