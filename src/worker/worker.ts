// The send worker: claims due messages in batches under a lease, sends each through its
// route's adapter with a timeout, and writes outcomes back in batches (group commit).
// Stop (SIGTERM) stops claiming, lets in-flight sends finish, flushes their outcomes.
import type { Logger } from 'pino';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from '../config.ts';
import type { MessageRow, Outcome, Store } from '../store/store.ts';
import type { ProviderRegistry } from '../providers/registry.ts';
import type { MessageBus } from '../events/bus.ts';
import type { Metrics } from '../metrics.ts';
import { classifyThrown, type SendOutcome } from '../providers/provider.ts';
import { GroupCommit } from '../store/group-commit.ts';
import { candidates } from '../routing/choose-route.ts';
import { attemptOutcome, expiredOutcome, noRouteOutcome } from './outcome.ts';
import { Wakeup } from './wakeup.ts';

export class Worker {
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  readonly #store: Store;
  readonly #config: Config;
  readonly #registry: ProviderRegistry;
  readonly #bus: MessageBus;
  readonly #metrics: Metrics;
  readonly #log: Logger;
  readonly #outcomes: GroupCommit<Outcome, boolean>;
  readonly #wake = new Wakeup();
  readonly #inflight = new Set<Promise<void>>();
  #running: Promise<void> | null = null;
  #stopping = false;

  constructor(opts: { store: Store; config: Config; registry: ProviderRegistry; bus: MessageBus; metrics: Metrics; logger: Logger }) {
    this.#store = opts.store;
    this.#config = opts.config;
    this.#registry = opts.registry;
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

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake.cancel();
    await this.#running;
    await Promise.allSettled([...this.#inflight]);
    await this.#outcomes.drain();
  }

  async #loop(): Promise<void> {
    const { workerConcurrency, workerBatchSize, leaseMs, pollMs } = this.#config;
    while (!this.#stopping) {
      const free = workerConcurrency - this.#inflight.size;
      let claimed = 0;
      if (free > 0) {
        const want = Math.min(free, workerBatchSize);
        try {
          const rows = await this.#store.claimDue(this.owner, Date.now(), leaseMs, want);
          claimed = rows.length;
          for (const row of rows) this.#track(this.#process(row));
          if (claimed === want) continue; // more is probably due
        } catch (err) {
          this.#log.error({ err }, 'claim failed');
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

  #track(p: Promise<void>): void {
    this.#inflight.add(p);
    p.finally(() => { this.#inflight.delete(p); this.#wake.wake(); });
  }

  async #process(row: MessageRow): Promise<void> {
    try {
      const now = Date.now();
      if (row.expires_at !== null && row.expires_at <= now) return await this.#write(row, expiredOutcome(row, this.owner, now));
      const routes = candidates(this.#registry, row);
      if (routes.length === 0) return await this.#write(row, noRouteOutcome(row, this.owner, now, 'no active provider can send this message'));
      const route = routes[0];
      const started = Date.now();
      let result: SendOutcome;
      try {
        result = await route.provider.adapter.send({
          messageId: row.id, attempt: row.attempts + row.throttled_attempts, to: row.to_number, from: route.from, body: row.body,
          encoding: row.encoding, segments: row.segments,
          validitySeconds: row.expires_at !== null ? Math.max(1, Math.round((row.expires_at - started) / 1000)) : undefined,
          statusCallbackUrl: `${this.#config.publicUrl}/webhooks/${route.provider.id}/status`,
        }, AbortSignal.timeout(this.#config.sendTimeoutMs));
      } catch (err) {
        result = { ok: false, error: classifyThrown(err) };
      }
      const finished = Date.now();
      this.#metrics.sendDuration.observe({ provider: route.provider.id }, (finished - started) / 1000);
      this.#metrics.attempts.inc({ provider: route.provider.id, outcome: result.ok ? 'sent' : result.error.kind });
      if (!result.ok) this.#log.warn({ message: row.id, provider: route.provider.id, code: result.error.code, kind: result.error.kind }, 'send attempt failed');
      await this.#write(row, attemptOutcome(row, this.owner, { providerId: route.provider.id, from: route.from }, result, started, finished, this.#config));
    } catch (err) {
      // The lease will run out and another claim will retry the message.
      this.#log.error({ err, message: row.id }, 'processing a message failed');
    }
  }

  async #write(row: MessageRow, outcome: Outcome): Promise<void> {
    const applied = await this.#outcomes.submit(outcome);
    if (!applied) { this.#log.warn({ message: outcome.messageId }, 'lease lost before the outcome was written'); return; }
    this.#bus.publish({ message: { ...row, ...outcome.set, updated_at: outcome.now, lease_owner: null }, previous: 'sending' });
  }
}
