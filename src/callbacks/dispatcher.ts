// Delivers callbacks to callers: signed (Standard Webhooks) with the sending key's secret,
// retried with exponential backoff for up to a day, every attempt recorded. It runs on
// its own loop with its own timeouts, so a slow or failing receiver never holds up sends.
import type { Logger } from 'pino';
import { Agent, request } from 'undici';
import type { CallbackQueue, CallbackRow, RecordStore } from '../store/store.ts';
import { newId } from '../domain/ids.ts';
import { Wakeup } from '../loop/wakeup.ts';
import { backoffMs } from '../loop/backoff.ts';
import { signStandardWebhook } from '../domain/sign.ts';
import type { CallbackGuard } from './ssrf.ts';

const LEASE_MS = 60_000;
const TIMEOUT_MS = 10_000;
const GIVE_UP_MS = 24 * 3600_000;

export interface DispatcherOptions {
  store: CallbackQueue & Pick<RecordStore, 'getApiKey'>;
  guard: CallbackGuard;
  logger: Logger;
  pollMs: number;
  /** signs callbacks of messages sent with the bootstrap admin key */
  adminSecret: string;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

export class CallbackDispatcher {
  readonly #o: DispatcherOptions;
  readonly #wake = new Wakeup();
  readonly #secrets = new Map<string, { secret: string | null; at: number }>();
  readonly #agent: Agent;
  #running: Promise<void> | null = null;
  #stopping = false;

  constructor(o: DispatcherOptions) {
    this.#o = o;
    // Connections resolve names through the guard, so the address connected to is the one checked.
    this.#agent = new Agent({ connect: { lookup: o.guard.connectLookup as never }, keepAliveTimeout: 10_000 });
  }

  start(): void { this.#running = this.#loop(); }
  wake(): void { this.#wake.wake(); }
  async stop(): Promise<void> { this.#stopping = true; this.#wake.cancel(); await this.#running; await this.#agent.close(); }

  async #loop(): Promise<void> {
    while (!this.#stopping) {
      let n = 0;
      try { n = await this.runOnce(); } catch (err) { this.#o.logger.error({ err }, 'callback delivery loop failed'); }
      if (n === 0 && !this.#stopping) await this.#wake.wait(this.#o.pollMs);
    }
  }

  async runOnce(limit = 50): Promise<number> {
    const rows = await this.#o.store.claimCallbacks(Date.now(), LEASE_MS, limit, { via: 'http' });
    await Promise.all(rows.map((r) => this.#deliver(r)));
    return rows.length;
  }

  async #secretFor(keyId: string | null): Promise<string | null> {
    if (keyId === null) return this.#o.adminSecret || null;
    const hit = this.#secrets.get(keyId);
    if (hit && Date.now() - hit.at < 10_000) return hit.secret;
    const secret = (await this.#o.store.getApiKey(keyId))?.webhook_secret ?? null;
    this.#secrets.set(keyId, { secret, at: Date.now() });
    return secret;
  }

  async #deliver(cb: CallbackRow): Promise<void> {
    const started = Date.now();
    const attemptNo = cb.attempts + 1;
    let statusCode: number | null = null;
    let error: string | null = null;
    let permanent = false;
    try {
      const secret = await this.#secretFor(cb.api_key_id);
      const refusal = await this.#o.guard.refusal(cb.url);
      if (!secret) { error = 'no signing secret (set SWITCHBOARD_WEBHOOK_SECRET for the bootstrap admin key)'; permanent = true; }
      else if (refusal) { error = refusal.transient ? refusal.reason : `refused: ${refusal.reason}`; permanent = !refusal.transient; }
      else {
        const headers = { 'content-type': 'application/json', 'user-agent': 'Switchboard-Webhooks/1', ...signStandardWebhook(secret, cb.id, Math.floor(Date.now() / 1000), cb.payload) };
        // undici's request does not follow redirects, so a 3xx cannot bounce us elsewhere.
        const res = await request(cb.url, { method: 'POST', headers, body: cb.payload, signal: AbortSignal.timeout(TIMEOUT_MS), dispatcher: this.#agent });
        statusCode = res.statusCode;
        await res.body.dump();
        if (statusCode < 200 || statusCode >= 300) error = `receiver answered ${statusCode}`;
      }
    } catch (err) {
      error = (err as Error).message || String(err);
    }
    const now = Date.now();
    const attempt = { id: newId('cbk'), callback_id: cb.id, attempt: attemptNo, status_code: statusCode, error, started_at: started, duration_ms: now - started };
    if (error === null) {
      await this.#o.store.finishCallback(cb.id, { status: 'delivered', attempts: attemptNo, next_attempt_at: null, last_error: null, delivered_at: now }, attempt, now);
      return;
    }
    const next = now + backoffMs(attemptNo, this.#o.backoffBaseMs ?? 5_000, this.#o.backoffMaxMs ?? 3_600_000);
    const giveUp = permanent || next - cb.created_at > GIVE_UP_MS;
    this.#o.logger.warn({ callback: cb.id, message: cb.message_id, attempt: attemptNo, error, giveUp }, 'callback delivery failed');
    await this.#o.store.finishCallback(cb.id, {
      status: giveUp ? 'failed' : 'pending', attempts: attemptNo, next_attempt_at: giveUp ? null : next, last_error: error, delivered_at: null,
    }, attempt, now);
    if (!giveUp) this.#wake.wakeAt(next);
  }
}
