// The send worker: claims due messages in batches under a lease, sends each through its
// route's adapter with a timeout, and writes outcomes back in batches (group commit).
// Stop (SIGTERM) stops claiming, lets in-flight sends finish, flushes their outcomes.
import type { Logger } from 'pino';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config.ts';
import type { MessageRow, Outcome, Store } from '../store/store.ts';
import type { MessageBus } from '../events/bus.ts';
import type { Metrics } from '../metrics.ts';
import { classifyThrown, type SendFailure, type SendOutcome } from '../providers/provider.ts';
import { GroupCommit } from '../store/group-commit.ts';
import { priceFor } from '../domain/money.ts';
import type { Route, Router } from '../routing/choose-route.ts';
import type { Health } from '../routing/health.ts';
import type { RateLimiter } from '../routing/rate-limit/limiter.ts';
import { attemptOutcome, attemptRow, deferredOutcome, expiredOutcome, failoverEvent, noFailoverRouteOutcome, noRouteOutcome, waitOutcome, type RouteUsed } from './outcome.ts';
import { failureClass, opensCircuit } from '../domain/message-errors.ts';
import { storeFailure } from '../store/failures.ts';
import { Wakeup } from '../loop/wakeup.ts';
import { untried, type Attempted, type Run } from './run.ts';
import { earlierSend } from './resend-check.ts';
import { drilledProvider, explain, voiceOptions } from './explain.ts';

/** How often a message waiting for a session to rebind, or for a half-open probe's answer, looks again. */
const SESSION_RECHECK_MS = 1_000;

export class Worker {
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  readonly #store: Store;
  readonly #config: Config;
  readonly #router: Router;
  readonly #health: Health;
  readonly #limiter: RateLimiter;
  readonly #bus: MessageBus;
  readonly #metrics: Metrics;
  readonly #log: Logger;
  readonly #outcomes: GroupCommit<Outcome, boolean>;
  readonly #wake = new Wakeup();
  /** the messages being processed, by their processing */
  readonly #inflight = new Map<Promise<void>, string>();
  #running: Promise<void> | null = null;
  #stopping = false;
  /** hand-offs promised to intake and not yet adopted or released (see reserve) */
  #reserved = 0;
  #reservationsSettled: (() => void) | null = null;
  /** the last claim filled its batch: due work is waiting in the ledger */
  #backlog = true; // until the first claim says otherwise
  /** every slot was taken when the loop last looked: a slot freeing up must wake it */
  #full = false;
  /** the last claim failed (the database away): logged once, not every poll */
  #claimFailing = false;
  /** a provider refused the account itself (its circuit was just opened): the app alerts the operator */
  onAccountRefused: ((providerId: string, error: SendFailure) => void) | null = null;

  constructor(opts: { store: Store; config: Config; router: Router; health: Health; limiter: RateLimiter; bus: MessageBus; metrics: Metrics; logger: Logger }) {
    this.#store = opts.store;
    this.#config = opts.config;
    this.#router = opts.router;
    this.#health = opts.health;
    this.#limiter = opts.limiter;
    this.#bus = opts.bus;
    this.#metrics = opts.metrics;
    this.#log = opts.logger.child({ worker: this.owner });
    this.#outcomes = new GroupCommit(async (outs) => {
      const applied = await this.#store.recordOutcomes(outs);
      return outs.map((o) => applied.has(o.messageId));
    });
  }

  start(): void {
    this.#running = this.#loop();
  }

  /** New work may be due: claim now instead of at the next poll. */
  wake(): void { this.#wake.wake(); }

  /**
   * Intake's hand-off. A message accepted while this worker has a free slot and no due
   * work waiting in the ledger is stored already claimed by it (Intake, HandOff) and
   * handed over in memory once committed: it is sent without a claim, one write and one
   * round trip fewer. The ledger stays the truth: the row carries this worker's lease,
   * so if the process dies any worker claims it once the lease runs out, as after any
   * crash mid-send. With a backlog, new messages queue behind it in the ledger instead.
   * Each lease given must end in `adopt` (the row was stored) or `release` (it was not).
   */
  reserve(): { owner: string; leaseMs: number } | null {
    if (this.#stopping || this.#running === null || this.#backlog) return null;
    if (this.#inflight.size + this.#reserved >= this.#config.workerConcurrency) return null;
    this.#reserved++;
    return { owner: this.owner, leaseMs: this.#config.leaseMs };
  }

  /** A handed-off message is stored under this worker's lease: send it (even while stopping, which waits for it). */
  adopt(row: MessageRow): void {
    this.#track(row.id, this.#process(row));
    this.#unreserve();
  }

  /** A lease given by `reserve` went unused (the message was refused, or was a duplicate). */
  release(): void {
    this.#unreserve();
    this.#wake.wake();
  }

  #unreserve(): void {
    this.#reserved--;
    if (this.#reserved === 0) this.#reservationsSettled?.();
  }

  /**
   * Stops claiming and lets in-flight sends finish until `deadline`; the leases of any
   * still unfinished then are released (due again at once, marked interrupted so the
   * next claim asks the provider first), so none is left to expire. Outcomes are flushed.
   */
  async stop(deadline = Infinity): Promise<void> {
    this.#stopping = true;
    this.#wake.cancel();
    await this.#running;
    // Messages stored under a lease given before stopping are adopted once committed (intake drains meanwhile).
    if (this.#reserved > 0) await this.#until(new Promise<void>((r) => { this.#reservationsSettled = r; }), deadline);
    const all = Promise.allSettled([...this.#inflight.keys()]);
    if (deadline !== Infinity) {
      await this.#until(all, deadline);
      const unfinished = [...this.#inflight.values()];
      if (unfinished.length > 0) {
        this.#log.warn({ messages: unfinished.length }, 'shutdown deadline: releasing the leases of sends still in flight');
        await this.#outcomes.drain();
        await this.#store.releaseLeases(this.owner, unfinished, Date.now()).catch((err) => this.#log.error({ err }, 'releasing leases failed; they will expire'));
      }
    } else {
      await all;
    }
    await this.#outcomes.drain();
  }

  /** Waits for `p`, or until `deadline`, whichever comes first. */
  async #until(p: Promise<unknown>, deadline: number): Promise<void> {
    if (deadline === Infinity) { await p; return; }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([p, new Promise((r) => { timer = setTimeout(r, Math.max(0, deadline - Date.now())); })]);
    clearTimeout(timer);
  }

  async #loop(): Promise<void> {
    const { workerConcurrency, workerBatchSize, leaseMs, pollMs } = this.#config;
    while (!this.#stopping) {
      const free = workerConcurrency - this.#inflight.size - this.#reserved;
      this.#full = free <= 0;
      let claimed = 0;
      if (free > 0) {
        const want = Math.min(free, workerBatchSize);
        try {
          const rows = await this.#store.claimDue(this.owner, Date.now(), leaseMs, want);
          if (this.#claimFailing) { this.#claimFailing = false; this.#log.info('claims succeed again'); }
          claimed = rows.length;
          this.#backlog = claimed === want;
          for (const row of rows) this.#track(row.id, this.#process(row));
          if (claimed === want) continue; // more is probably due
        } catch (err) {
          // Said once per episode: while the database is away every poll would repeat it.
          if (!this.#claimFailing) this.#log.error({ err }, 'claim failed; retrying every poll until it succeeds');
          this.#claimFailing = true;
        }
      }
      if (this.#stopping) break;
      // Sleep until woken (insert, NOTIFY, a slot freeing up) or the next due time.
      let sleep = pollMs;
      if (free > 0 && claimed === 0) {
        const next = await this.#store.nextDueAt().catch(() => null);
        if (next !== null) sleep = Math.max(0, Math.min(pollMs, next - Date.now()));
      }
      await this.#wake.wait(sleep);
    }
  }

  #track(id: string, p: Promise<void>): void {
    this.#inflight.set(p, id);
    // A freed slot matters to the loop only when it has work to claim into it.
    p.finally(() => { this.#inflight.delete(p); if (this.#full || this.#backlog) this.#wake.wake(); });
  }

  async #process(row: MessageRow): Promise<void> {
    try {
      const now = Date.now();
      const expiry = this.#expiry(row);
      if (expiry !== null && expiry <= now) return await this.#write(row, expiredOutcome(row, this.owner, now));
      const generation = this.#router.generation;
      const plan = await this.#router.plan(row, now);
      // A wait decided under routes that changed meanwhile (a provider created while this
      // message was in hand) ends at once: the waiting messages woken by the change did not include it.
      const waitUntil = (routes: Route[], at: number) => (this.#router.generation !== generation ? at : this.#waitUntil(row, routes, at));
      // Nothing configured to send with is the operator's to fix, not the message's fault.
      if (!plan.ok && !this.#router.configured()) {
        return await this.#write(row, waitOutcome(row, this.owner, now, waitUntil([], Date.now()), [], 'no provider is configured', 'no_provider_configured'));
      }
      if (!plan.ok) return await this.#write(row, noRouteOutcome(row, this.owner, now, plan.reason));
      if (row.failover_from != null) {
        // Failover on no receipt: sent once more, through any provider but the silent one.
        // With none other, it goes back to waiting for that one's receipt.
        plan.routes = plan.routes.filter((r) => r.provider.id !== row.failover_from);
        if (plan.routes.length === 0) return await this.#write(row, noFailoverRouteOutcome(row, this.owner, now));
      }
      if (row.interrupted) {
        const earlier = await earlierSend(row, plan.routes, { timeoutMs: this.#config.sendTimeoutMs, metrics: this.#metrics, log: this.#log });
        if (earlier) return await this.#write(row, attemptOutcome(row, this.owner, earlier.route, earlier.result, earlier.started, earlier.finished, this.#config, Math.random, []));
      }
      const ordered = await this.#untriedFirst(row, plan.routes);
      const run = await this.#tryRoutes(row, ordered);
      const explanation = explain(ordered, plan.excluded, run.notes);
      if (run.last === null && run.waitable.length === 0) return await this.#write(row, deferredOutcome(row, this.owner, Date.now(), run.limitedWaitMs + Math.random() * 250));
      const last = run.last;
      // A dead route is not a failed message (DESIGN.md §1): when the routes left are down,
      // held by their circuit or not connected, the message waits for one, using no attempt.
      if (last === null || (!last.result.ok && this.#waits(last.result, run, ordered))) {
        const at = Date.now();
        const attempts = last ? [...run.failed, attemptRow(row, last.route, last.result, last.started, last.finished)] : [];
        if (attempts.length > 0) attempts.at(-1)!.route_explanation = explanation;
        const why = `waiting for a route: ${[...run.notes].filter(([, n]) => n !== 'not needed').map(([id, n]) => `${id} ${n}`).join('; ')}`;
        return await this.#write(row, waitOutcome(row, this.owner, at, waitUntil([...run.waitable, ...untried(ordered, run)], at), attempts, why));
      }
      const { route, result, started, finished } = last;
      const outcome = attemptOutcome(row, this.owner, route, result, started, finished, this.#config, Math.random, run.failed);
      const lastRow = outcome.attempts.at(-1);
      if (lastRow) lastRow.route_explanation = explanation;
      if (row.failover_from != null && result.ok) {
        // Failover on no receipt: the caller sees why it went out twice (and costs twice).
        const why = `sent once more through ${route.providerId}: no receipt from ${row.failover_from} within ${Math.round((row.failover_after_ms ?? 0) / 1000)} s`;
        outcome.event = failoverEvent(row, finished, why);
      }
      await this.#write(row, outcome);
    } catch (err) {
      // The lease will run out and another claim will retry the message.
      this.#log.error({ err, message: row.id }, 'processing a message failed');
    }
  }

  /**
   * On a retry, the routes this message has not yet failed on go first (in routing's
   * order), then the ones it failed on: with more providers than one claim's failover
   * budget, a later attempt reaches the providers an earlier one never got to. A first
   * attempt costs no lookup.
   */
  async #untriedFirst(row: MessageRow, routes: Route[]): Promise<Route[]> {
    // A message that failed before carries its last error (a wait for a route uses no attempt, so attempts cannot tell).
    if (row.error_code === null || routes.length < 2) return routes;
    const failed = new Set((await this.#store.listAttempts(row.id)).filter((a) => a.outcome !== 'sent').map((a) => a.provider_id));
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
  async #tryRoutes(row: MessageRow, routes: Route[]): Promise<Run> {
    const run: Run = { notes: new Map(), last: null, failed: [], waitable: [], limitedWaitMs: Infinity };
    for (const route of routes) {
      const id = route.provider.id;
      // Done once a send succeeded, failed for the message itself, or used up the failover budget.
      const r0 = run.last?.result;
      if (r0 && (r0.ok || failureClass(r0.error) === 'message' || run.failed.length >= this.#config.maxFailovers)) { run.notes.set(id, 'not needed'); continue; }
      const adapter = route.provider.adapter;
      if (adapter.ready && !adapter.ready()) { run.waitable.push(route); run.notes.set(id, 'passed over: not connected'); continue; }
      if (!this.#health.begin(id, Date.now())) {
        run.waitable.push(route);
        run.notes.set(id, this.#health.probing(id) ? 'passed over: circuit half-open, its probe under way' : 'passed over: circuit open');
        continue;
      }
      const slot = await this.#reserve(route, row.segments);
      if (typeof slot !== 'string') {
        this.#health.release(id);
        run.limitedWaitMs = Math.min(run.limitedWaitMs, slot.waitMs);
        run.notes.set(id, 'passed over: every number at its rate limit');
        continue;
      }
      if (run.last) {
        run.failed.push(attemptRow(row, run.last.route, run.last.result, run.last.started, run.last.finished));
        this.#metrics.failovers.inc({ provider: run.last.route.providerId });
        this.#log.warn({ message: row.id, from: run.last.route.providerId, to: id }, 'failing over');
      }
      run.last = await this.#send(row, route, slot);
      const r = run.last.result;
      run.notes.set(id, r.ok ? `sent from ${slot}` : `failed: ${r.error.code} (${failureClass(r.error)})`);
      if (r.ok) this.#router.remember(row.to_number, slot);
      else if (failureClass(r.error) === 'provider') run.waitable.push(route);
    }
    if (run.limitedWaitMs === Infinity) run.limitedWaitMs = this.#config.pollMs;
    return run;
  }

  /**
   * Whether a failed run leaves the message waiting rather than retried or failed: the
   * last failure was the provider's (it cannot take traffic now), or a refusal of the
   * route while another route is down or was not reached. A throttle and a failure of the
   * message itself keep their own rules (outcome.ts).
   */
  #waits(result: SendOutcome & { ok: false }, run: Run, routes: Route[]): boolean {
    const cls = failureClass(result.error);
    if (cls === 'provider') return true;
    return cls === 'route' && (run.waitable.length > 0 || untried(routes, run).length > 0);
  }

  /**
   * When a waiting message is next due: the earliest moment one of `routes` may take
   * traffic again (its circuit's half-open time; a second while a probe is out or a
   * session rebinds), or, for a provider failing with its circuit still closed, a backoff
   * that grows with the message's age up to SWITCHBOARD_OUTAGE_RETRY_MAX_MS. Spread by a
   * little jitter so a backlog does not come due at one instant, and never past the
   * message's validity period, when it expires.
   */
  #waitUntil(row: MessageRow, routes: Route[], now: number): number {
    const { backoffBaseMs, outageRetryMaxMs } = this.#config;
    const backoff = Math.min(outageRetryMaxMs, Math.max(backoffBaseMs, (now - (row.send_at ?? row.created_at)) / 4));
    let at = Infinity;
    for (const r of routes) {
      const id = r.provider.id;
      const reopens = this.#health.reopensAt(id, now);
      const ready = r.provider.adapter.ready?.() ?? true;
      const t = !ready ? now + Math.min(backoff, SESSION_RECHECK_MS)
        : reopens !== null ? reopens
        : this.#health.probing(id) ? now + Math.min(backoff, SESSION_RECHECK_MS)
        : now + backoff;
      at = Math.min(at, t);
    }
    if (at === Infinity) at = now + backoff;
    at += Math.random() * Math.min(1_000, backoff / 2);
    const expiry = this.#expiry(row);
    return Math.max(now + 1, Math.round(expiry === null ? at : Math.min(at, expiry)));
  }

  /** When the message expires: its validity period, or SWITCHBOARD_DEFAULT_VALIDITY_SECONDS after it was due (0: never). */
  #expiry(row: MessageRow): number | null {
    if (row.expires_at !== null) return row.expires_at;
    const s = this.#config.defaultValiditySeconds;
    return s > 0 ? (row.send_at ?? row.created_at) + s * 1000 : null;
  }

  /** A number of the route with a send slot (after waiting for it), or how long until one frees up. */
  async #reserve(route: Route, segments: number): Promise<string | { waitMs: number }> {
    let waitMs = Infinity;
    for (const n of route.numbers) {
      // Carriers count segments: a 3-segment text takes three of a number's slots.
      const r = await this.#limiter.reserve(`number:${n.number}`, n.rate, this.#config.rateWaitMs, segments);
      if (r.ok) {
        if (r.waitMs > 0) await sleep(r.waitMs);
        return n.number;
      }
      waitMs = Math.min(waitMs, r.waitMs);
    }
    return { waitMs };
  }

  async #send(row: MessageRow, route: Route, from: string): Promise<Attempted> {
    const provider = route.provider;
    const started = Date.now();
    let result: SendOutcome;
    // A failover drill marks one provider failing for its own message only: nothing is
    // sent to it, and its health (which other traffic reads) is left alone.
    if (drilledProvider(row) === provider.id) {
      this.#health.release(provider.id);
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
        statusCallbackUrl: `${this.#config.publicUrl}/webhooks/${provider.id}/status`,
        ...(row.channel === 'voice' ? { channel: 'voice' as const, voice: voiceOptions(row) } : {}),
      }, AbortSignal.timeout(this.#config.sendTimeoutMs));
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
    this.#health.record(provider.id, result.ok || ['message', 'route'].includes(failureClass(result.error)), finished);
    // A refusal of the account itself stops traffic there at once, and the operator hears of it.
    if (!result.ok && opensCircuit(result.error.code)) {
      this.#health.trip(provider.id, finished);
      this.onAccountRefused?.(provider.id, result.error);
    }
    this.#metrics.sendDuration.observe({ provider: provider.id }, (finished - started) / 1000);
    this.#metrics.attempts.inc({ provider: provider.id, outcome: result.ok ? 'sent' : result.error.kind });
    if (!result.ok) this.#log.warn({ message: row.id, provider: provider.id, code: result.error.code, kind: result.error.kind, providerCode: result.error.providerCode }, 'send attempt failed');
    if (!result.ok && result.error.unmapped) this.#metrics.unmappedErrors.inc({ provider: provider.id, provider_code: result.error.providerCode ?? 'none' });
    if (result.ok && provider.simulated) this.#metrics.simulatedSends.inc({ provider: provider.id });
    return { route: { providerId: provider.id, from, simulated: provider.simulated }, result, started, finished };
  }

  /**
   * Writes an outcome, trying again while the database is away (a restart, a failover, a
   * cut connection), until it is back or the worker stops. The lease fences the write: if
   * the lease ran out meanwhile and another claim took the message, it is not applied
   * (the crash window: README, Guarantees); if not, the send is recorded once, as if
   * nothing happened. The send's slot stays taken meanwhile, so what waits in memory is
   * bounded by SWITCHBOARD_WORKER_CONCURRENCY. A worker that stops leaves it to the lease.
   */
  async #submitOutcome(row: MessageRow, outcome: Outcome): Promise<boolean> {
    for (let i = 0; ; i++) {
      try {
        return await this.#outcomes.submit(outcome);
      } catch (err) {
        if (!storeFailure(err) || this.#stopping) throw err;
        if (i === 0) this.#log.warn({ message: row.id, err: (err as Error).message }, 'the database is unavailable: holding this outcome and trying again');
        await sleep(OUTCOME_RETRY_MS[Math.min(i, OUTCOME_RETRY_MS.length - 1)]);
      }
    }
  }

  async #write(row: MessageRow, outcome: Outcome): Promise<void> {
    const applied = await this.#submitOutcome(row, outcome);
    if (!applied) { this.#log.warn({ message: outcome.messageId }, 'lease lost before the outcome was written'); return; }
    // A retry is due later: the loop sleeps until the earliest due time, which may now be this one.
    if (outcome.set.status === 'queued') this.#wake.wake();
    this.#bus.publish({ message: { ...row, ...outcome.set, updated_at: outcome.now, lease_owner: null }, previous: 'sending' });
  }
}

/** Waits between tries of an outcome the database could not take (it was away). */
const OUTCOME_RETRY_MS = [250, 500, 1_000, 2_000];
