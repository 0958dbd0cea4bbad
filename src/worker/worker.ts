// The send worker: claims due messages in batches under a lease, sends each through its
// route's adapter with a timeout, and writes outcomes back in batches (group commit).
// Stop (SIGTERM) stops claiming, lets in-flight sends finish, flushes their outcomes.
import type { Logger } from 'pino';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { until } from '../loop/until.ts';
import type { Config } from '../config.ts';
import type { MessageLedger, MessageRow, Outcome } from '../store/store.ts';
import type { MessageBus } from '../events/bus.ts';
import type { Metrics } from '../metrics.ts';
import type { SendFailure } from '../providers/provider.ts';
import { GroupCommit } from '../store/group-commit.ts';
import type { Route, Router } from '../routing/choose-route.ts';
import type { Health } from '../routing/health.ts';
import type { RateLimiter } from '../routing/rate-limit/limiter.ts';
import { attemptOutcome, attemptRow, deferredOutcome, expiredOutcome, failoverEvent, heldAgain, heldOutcome, noFailoverRouteOutcome, noRouteOutcome, notMobileOutcome, waitOutcome } from './outcome.ts';
import { storeFailure } from '../store/failures.ts';
import { Wakeup } from '../loop/wakeup.ts';
import { Pace } from '../loop/pace.ts';
import { untried } from './run.ts';
import { RouteRunner } from './route-run.ts';
import { expiry, waitUntil } from './wait-until.ts';
import { earlierSend } from './resend-check.ts';
import { explain } from './explain.ts';
import { CarrierLookups, networkOf } from '../routing/lookups.ts';
import { HandOffs } from './hand-off.ts';
import { turnOf, type Turn } from './turn-gate.ts';
import { BULK_LANE, BulkShare } from '../domain/lanes.ts';

/** What the worker keeps in the ledger: claims, outcomes, leases. */
export type WorkerStore = Pick<MessageLedger, 'claimDue' | 'nextDueAt' | 'recordOutcomes' | 'releaseLeases' | 'listAttempts' | 'callForHelp'>;

export class Worker {
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  readonly #store: WorkerStore;
  readonly #config: Config;
  readonly #router: Router;
  readonly #health: Health;
  readonly #bus: MessageBus;
  readonly #metrics: Metrics;
  readonly #log: Logger;
  readonly #outcomes: GroupCommit<Outcome, boolean>;
  readonly #runner: RouteRunner;
  readonly #wake = new Wakeup();
  readonly #pace: Pace;
  /** the messages being processed, by their processing */
  readonly #inflight = new Map<Promise<void>, string>();
  #running: Promise<void> | null = null;
  #stopping = false;
  /** hand-offs promised to intake and not yet adopted or released (see reserve) */
  readonly #handOffs = new HandOffs();
  /** the bulk lane's share of this worker's claims (domain/lanes.ts) */
  readonly #bulk: BulkShare;
  /** the last claim filled its batch: due work is waiting in the ledger (every claim since `#backlogAt`, performance.now()) */
  #backlog = true; // until the first claim says otherwise
  #backlogAt = 0;
  /** every slot was taken when the loop last looked: a slot freeing up must wake it */
  #full = false;
  /** the last claim failed (the database away): logged once, not every poll */
  #claimFailing = false;
  /** a provider refused the account itself (its circuit was just opened): the app alerts the operator */
  onAccountRefused: ((providerId: string, error: SendFailure) => void) | null = null;
  readonly #lookups: CarrierLookups | null;
  /** `lookups`: carrier lookups for messages that ask for one (without: routed by prefix and country) */
  constructor(opts: { store: WorkerStore; config: Config; router: Router; health: Health; limiter: RateLimiter; bus: MessageBus; metrics: Metrics; logger: Logger; lookups?: CarrierLookups }) {
    this.#store = opts.store;
    this.#lookups = opts.lookups ?? null;
    this.#config = opts.config;
    this.#router = opts.router;
    this.#health = opts.health;
    this.#bus = opts.bus;
    this.#metrics = opts.metrics;
    this.#log = opts.logger.child({ worker: this.owner });
    this.#bulk = new BulkShare(opts.config.bulkShare);
    this.#pace = new Pace(opts.config.batchWindowMs);
    this.#runner = new RouteRunner({
      store: opts.store, config: opts.config, router: opts.router, health: opts.health, limiter: opts.limiter, metrics: opts.metrics, log: this.#log,
      onAccountRefused: (id, error) => this.onAccountRefused?.(id, error),
    });
    // Outcomes gather (store/group-commit.ts): while several workers share a stream, each flushes
    // 50 at a time (or after four windows), not every window with a few (issue 26).
    this.#outcomes = new GroupCommit(async (outs) => {
      const applied = await this.#store.recordOutcomes(outs);
      return outs.map((o) => applied.has(o.messageId));
    }, 500, 1, opts.config.batchWindowMs, { minBatch: 50, maxWaitMs: opts.config.batchWindowMs * 4 });
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
    if (this.#inflight.size + this.#handOffs.open >= this.#config.workerConcurrency) return null;
    this.#handOffs.promise();
    return { owner: this.owner, leaseMs: this.#config.leaseMs };
  }

  /** A handed-off message is stored under this worker's lease: send it (even while stopping, which waits for it). */
  adopt(row: MessageRow): void {
    this.#track(row.id, this.#process(row, turnOf(row, false)));
    this.#handOffs.ended();
  }

  /** A lease given by `reserve` went unused (the message was refused, or was a duplicate). */
  release(): void {
    this.#handOffs.ended();
    this.#wake.wake();
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
    await until(this.#handOffs.allEnded(), deadline);
    const all = Promise.allSettled([...this.#inflight.keys()]);
    if (deadline !== Infinity) {
      await until(all, deadline);
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

  async #loop(): Promise<void> {
    const { workerConcurrency, workerBatchSize, leaseMs, pollMs, batchWindowMs } = this.#config;
    let paced = false; // after a window's wait (claimDue: one per window among the workers), not after a full claim
    while (!this.#stopping) {
      const free = workerConcurrency - this.#inflight.size - this.#handOffs.open;
      this.#full = free <= 0;
      let claimed = 0;
      let refused = false; // a paced claim another process's took the window of
      if (free > 0) {
        const want = Math.min(free, workerBatchSize);
        try {
          const share = this.#bulk.ask(want);
          const rows = await this.#store.claimDue(this.owner, Date.now(), leaseMs, want, share, paced ? batchWindowMs : 0);
          // The bulk lane's share (the first `share` of its rows) goes first at a number's slot too.
          const bulk = rows.filter((r) => r.lane === BULK_LANE);
          this.#bulk.took(bulk.length);
          const promoted = new Set(bulk.slice(0, share));
          if (this.#claimFailing) { this.#claimFailing = false; this.#log.info('claims succeed again'); }
          claimed = rows.length;
          refused = rows.refused === true;
          if (claimed === want && !this.#backlog) this.#backlogAt = performance.now();
          this.#backlog = claimed === want;
          for (const row of rows) this.#track(row.id, this.#process(row, turnOf(row, promoted.has(row))));
          // More is probably due. Every claim for a batch window or more came back full: more than this worker
          // takes, so the others are called (PostgreSQL's queue-lead.ts); only here, after a claim took some, so calls cannot feed on each other.
          if (claimed === want) { if (performance.now() - this.#backlogAt >= batchWindowMs) this.#store.callForHelp?.(); paced = false; continue; }
        } catch (err) {
          // Said once per episode: while the database is away every poll would repeat it.
          if (!this.#claimFailing) this.#log.error({ err }, 'claim failed; retrying every poll until it succeeds');
          this.#claimFailing = true;
        }
      }
      if (this.#stopping) break;
      // Sleep until woken (insert, NOTIFY, a slot freeing up) or the next due time; a refused claim: loop/pace.ts.
      let idle = pollMs;
      if (await this.#pace.afterClaim(refused, this.#wake, () => this.#stopping)) continue;
      if (free > 0 && claimed === 0) {
        const next = await this.#store.nextDueAt().catch(() => null);
        if (next !== null) idle = Math.max(0, Math.min(pollMs, next - Date.now()));
      }
      await this.#wake.wait(idle);
      // Woken (an insert, a NOTIFY, a freed slot): let what else is coming arrive, so that one
      // claim takes it, not one claim per insert in every worker (config.ts batchWindowMs).
      // A full claim skipped this above.
      if (batchWindowMs > 0 && !this.#stopping) await sleep(batchWindowMs);
      paced = batchWindowMs > 0;
    }
  }

  #track(id: string, p: Promise<void>): void {
    this.#inflight.set(p, id);
    // A freed slot matters to the loop only when it has work to claim into it.
    p.finally(() => { this.#inflight.delete(p); if (this.#full || this.#backlog) this.#wake.wake(); });
  }

  async #process(row: MessageRow, turn: Turn): Promise<void> {
    try {
      const now = Date.now();
      const ends = expiry(row, this.#config);
      if (ends !== null && ends <= now) return await this.#write(row, expiredOutcome(row, this.owner, now));
      const held = row.send_window ? heldAgain(row.send_window, now) : null;
      if (held) return await this.#write(row, heldOutcome(row, this.owner, now, held));
      const generation = this.#router.generation;
      const looked = this.#lookups && (row.lookup === 1 || this.#router.lookupWanted(row.country)) ? await this.#lookups.lookup(row.to_number, now) : null;
      if (looked?.result?.line_type === 'landline') return await this.#write(row, notMobileOutcome(row, this.owner, now, `a carrier lookup found ${row.to_number} is a landline (${looked.result.carrier ?? 'carrier unknown'})`));
      const plan = await this.#router.plan(row, now, { network: networkOf(looked?.result ?? null) });
      // A wait decided under routes that changed meanwhile (a provider created while this
      // message was in hand) ends at once: the waiting messages woken by the change did not include it.
      const dueAt = (routes: Route[], at: number) => (this.#router.generation !== generation ? at : waitUntil(row, routes, at, this.#health, this.#config));
      // Nothing configured to send with is the operator's to fix, not the message's fault.
      if (!plan.ok && !this.#router.configured()) {
        return await this.#write(row, waitOutcome(row, this.owner, now, dueAt([], Date.now()), [], 'no provider is configured', 'no_provider_configured'));
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
      const ordered = await this.#runner.untriedFirst(row, plan.routes);
      const run = await this.#runner.tryRoutes(row, ordered, turn);
      const explanation = explain(ordered, plan.excluded, run.notes, { lookup: looked, rule: plan.rule });
      if (run.last === null && run.waitable.length === 0) return await this.#write(row, deferredOutcome(row, this.owner, Date.now(), run.limitedWaitMs + Math.random() * 250));
      const last = run.last;
      // A dead route is not a failed message (DESIGN.md §1): when the routes left are down,
      // held by their circuit or not connected, the message waits for one, using no attempt.
      if (last === null || (!last.result.ok && this.#runner.waits(last.result, run, ordered))) {
        const at = Date.now();
        const attempts = last ? [...run.failed, attemptRow(row, last.route, last.result, last.started, last.finished)] : [];
        if (attempts.length > 0) attempts.at(-1)!.route_explanation = explanation;
        const why = `waiting for a route: ${[...run.notes].filter(([, n]) => n !== 'not needed').map(([id, n]) => `${id} ${n}`).join('; ')}`;
        return await this.#write(row, waitOutcome(row, this.owner, at, dueAt([...run.waitable, ...untried(ordered, run)], at), attempts, why));
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
