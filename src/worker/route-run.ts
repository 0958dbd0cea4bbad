// One claim of a message, over its routes: the routes it failed on last go last, each is
// tried in order (circuit, session and rate limit permitting), failing over on the
// provider's failures up to the budget, and the run says what happened to each route.
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { MessageLedger, MessageRow } from '../store/store.ts';
import type { Metrics } from '../metrics.ts';
import { classifyThrown, type SendFailure, type SendOutcome } from '../providers/provider.ts';
import { priceFor } from '../domain/money.ts';
import type { Route, Router } from '../routing/choose-route.ts';
import type { Health } from '../routing/health.ts';
import type { RateLimiter } from '../routing/rate-limit/limiter.ts';
import { attemptRow } from './outcome.ts';
import { failureClass, opensCircuit } from '../domain/message-errors.ts';
import { untried, type Attempted, type Run } from './run.ts';
import { drilledProvider, voiceOptions } from './explain.ts';
import { TurnGate, type Turn } from './turn-gate.ts';

export interface RouteRunDeps {
  store: Pick<MessageLedger, 'listAttempts'>;
  config: Config;
  router: Pick<Router, 'remember'>;
  health: Health;
  limiter: RateLimiter;
  metrics: Metrics;
  log: Logger;
  /** a provider refused the account itself (its circuit was just opened) */
  onAccountRefused: (providerId: string, error: SendFailure) => void;
}

export class RouteRunner {
  readonly #d: RouteRunDeps;
  readonly #gate: TurnGate;
  constructor(deps: RouteRunDeps) { this.#d = deps; this.#gate = new TurnGate(deps.limiter); }

  /**
   * On a retry, the routes this message has not yet failed on go first (in routing's
   * order), then the ones it failed on: with more providers than one claim's failover
   * budget, a later attempt reaches the providers an earlier one never got to. A first
   * attempt costs no lookup.
   */
  async untriedFirst(row: MessageRow, routes: Route[]): Promise<Route[]> {
    // A message that failed before carries its last error (a wait for a route uses no attempt, so attempts cannot tell).
    if (row.error_code === null || routes.length < 2) return routes;
    const failed = new Set((await this.#d.store.listAttempts(row.id)).filter((a) => a.outcome !== 'sent').map((a) => a.provider_id));
    if (failed.size === 0) return routes;
    return [...routes.filter((r) => !failed.has(r.provider.id)), ...routes.filter((r) => failed.has(r.provider.id))];
  }

  /**
   * Sends through the routes in order. A failure of the provider (down, 5xx, timeout), a
   * refusal of the route, or a throttle moves on to the next route at once, up to
   * maxFailovers times; success or a failure of the message itself ends the run. A route
   * that cannot take traffic now (circuit open, its probe out, its session not bound) is
   * passed over and remembered (`waitable`); one whose numbers are all at their rate
   * limit is passed over too.
   */
  /** `turn`: where the message stands in line for a number's slot (its lane and turn key; turn-gate.ts). */
  async tryRoutes(row: MessageRow, routes: Route[], turn: Turn): Promise<Run> {
    const run: Run = { notes: new Map(), last: null, failed: [], waitable: [], limitedWaitMs: Infinity };
    for (const route of routes) {
      const id = route.provider.id;
      // Done once a send succeeded, failed for the message itself, or used up the failover budget.
      const r0 = run.last?.result;
      if (r0 && (r0.ok || failureClass(r0.error) === 'message' || run.failed.length >= this.#d.config.maxFailovers)) { run.notes.set(id, 'not needed'); continue; }
      if (route.provider.capabilities.sessions?.ready() === false) { run.waitable.push(route); run.notes.set(id, 'passed over: not connected'); continue; }
      if (!this.#d.health.begin(id, Date.now())) {
        run.waitable.push(route);
        run.notes.set(id, this.#d.health.probing(id) ? 'passed over: circuit half-open, its probe under way' : 'passed over: circuit open');
        continue;
      }
      const slot = await this.#reserve(route, row, turn);
      if (typeof slot !== 'string') {
        this.#d.health.release(id);
        run.limitedWaitMs = Math.min(run.limitedWaitMs, slot.waitMs);
        run.notes.set(id, 'passed over: every number at its rate limit');
        continue;
      }
      if (run.last) {
        run.failed.push(attemptRow(row, run.last.route, run.last.result, run.last.started, run.last.finished));
        this.#d.metrics.failovers.inc({ provider: run.last.route.providerId });
        this.#d.log.warn({ message: row.id, from: run.last.route.providerId, to: id }, 'failing over');
      }
      run.last = await this.#send(row, route, slot);
      const r = run.last.result;
      run.notes.set(id, r.ok ? `sent from ${slot}` : `failed: ${r.error.code} (${failureClass(r.error)})`);
      if (r.ok) this.#d.router.remember(row.to_number, slot);
      else if (failureClass(r.error) === 'provider') run.waitable.push(route);
    }
    if (run.limitedWaitMs === Infinity) run.limitedWaitMs = this.#d.config.pollMs;
    return run;
  }

  /**
   * Whether a failed run leaves the message waiting rather than retried or failed: the
   * last failure was the provider's (it cannot take traffic now), or a refusal of the
   * route while another route is down or was not reached. A throttle and a failure of the
   * message itself keep their own rules (outcome.ts).
   */
  waits(result: SendOutcome & { ok: false }, run: Run, routes: Route[]): boolean {
    const cls = failureClass(result.error);
    if (cls === 'provider') return true;
    return cls === 'route' && (run.waitable.length > 0 || untried(routes, run).length > 0);
  }

  /**
   * A number of the route with a send slot, or how long until one frees up. Any number
   * free now (for this message's turn) is taken; else it waits in turn for the one that
   * frees first, up to SWITCHBOARD_RATE_WAIT_MS (turn-gate.ts). Carriers count segments:
   * a 3-segment text takes three of a number's slots.
   */
  async #reserve(route: Route, row: MessageRow, turn: Turn): Promise<string | { waitMs: number }> {
    let soonest: { number: string; rate: number; waitMs: number } | null = null;
    for (const n of route.numbers) {
      const r = await this.#gate.take(`number:${n.number}`, n.rate, row.segments, turn, 0);
      if (r.ok) return n.number;
      if (soonest === null || r.waitMs < soonest.waitMs) soonest = { number: n.number, rate: n.rate, waitMs: r.waitMs };
    }
    if (soonest === null) return { waitMs: this.#d.config.pollMs };
    const r = await this.#gate.take(`number:${soonest.number}`, soonest.rate, row.segments, turn, this.#d.config.rateWaitMs);
    return r.ok ? soonest.number : { waitMs: r.waitMs };
  }

  async #send(row: MessageRow, route: Route, from: string): Promise<Attempted> {
    const provider = route.provider;
    const started = Date.now();
    let result: SendOutcome;
    // A failover drill marks one provider failing for its own message only: nothing is
    // sent to it, and its health (which other traffic reads) is left alone.
    if (drilledProvider(row) === provider.id) {
      this.#d.health.release(provider.id);
      return {
        route: { providerId: provider.id, from },
        result: { ok: false, error: { kind: 'transient', code: 'provider_error', providerCode: 'drill', message: 'failover drill: this provider is marked failing for this message only' } },
        started, finished: Date.now(),
      };
    }
    try {
      result = await provider.adapter.send({
        messageId: row.id, attempt: row.attempts + row.throttled_attempts, to: row.to_number, from, body: row.body,
        encoding: row.encoding, segments: row.segments,
        validitySeconds: row.expires_at !== null ? Math.max(1, Math.round((row.expires_at - started) / 1000)) : undefined,
        statusCallbackUrl: `${this.#d.config.publicUrl}/webhooks/${provider.id}/status`,
        ...(row.channel === 'voice' ? { channel: 'voice' as const, voice: voiceOptions(row) } : {}),
      }, AbortSignal.timeout(this.#d.config.sendTimeoutMs));
    } catch (err) {
      result = { ok: false, error: classifyThrown(err) };
    }
    const finished = Date.now();
    if (result.ok && !result.price) {
      // The provider did not say what it charged: the price of the route actually taken.
      const price = priceFor(provider.prices, row.country ?? undefined, row.segments);
      if (price !== null) result = { ...result, price };
    }
    // The circuit counts the provider's own failures (and throttles), never a refusal of the message or route.
    this.#d.health.record(provider.id, result.ok || ['message', 'route'].includes(failureClass(result.error)), finished);
    // A refusal of the account itself stops traffic there at once, and the operator hears of it.
    if (!result.ok && opensCircuit(result.error.code)) {
      this.#d.health.trip(provider.id, finished);
      this.#d.onAccountRefused(provider.id, result.error);
    }
    this.#d.metrics.sendDuration.observe({ provider: provider.id }, (finished - started) / 1000);
    this.#d.metrics.attempts.inc({ provider: provider.id, outcome: result.ok ? 'sent' : result.error.kind });
    if (!result.ok) this.#d.log.warn({ message: row.id, provider: provider.id, code: result.error.code, kind: result.error.kind, providerCode: result.error.providerCode }, 'send attempt failed');
    if (!result.ok && result.error.unmapped) this.#d.metrics.unmappedErrors.inc({ provider: provider.id, provider_code: result.error.providerCode ?? 'none' });
    if (result.ok && provider.simulated) this.#d.metrics.simulatedSends.inc({ provider: provider.id });
    return { route: { providerId: provider.id, from, simulated: provider.simulated }, result, started, finished };
  }
}
