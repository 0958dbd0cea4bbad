// Prometheus metrics (DESIGN.md §4). One registry per app instance, so tests can run
// several apps in one process. Queue gauges are read from the store at scrape time.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { MessageLedger, WebhookLog } from './store/store.ts';
import { storeFailure } from './store/failures.ts';
import { priorityOf } from './domain/lanes.ts';
import { ageSeconds } from './public/present.ts';
import type { MessageBus } from './events/bus.ts';
import { isFinal } from './domain/status.ts';
import type { SessionStats } from './providers/provider.ts';
import type { HealthView } from './routing/health.ts';

/** What this needs of the store. */
export type MetricsStore = Pick<MessageLedger, 'queueStats' | 'unsettledStats'> & Pick<WebhookLog, 'webhookBacklog'>;

export class Metrics {
  readonly registry = new Registry();
  readonly accepted: Counter<string>;
  readonly final: Counter<'status'>;
  readonly attempts: Counter<'provider' | 'outcome'>;
  readonly simulatedSends: Counter<'provider'>;
  readonly unmappedErrors: Counter<'provider' | 'provider_code'>;
  readonly databaseUp: Gauge<string>;
  readonly smppBindRefusals: Counter<'reason'>;
  readonly receiptFailovers: Counter<'provider'>;
  readonly smppBindLockouts: Counter<string>;
  readonly authFailures: Counter<'channel'>;
  readonly databaseOutages: Counter<string>;
  readonly sendDuration: Histogram<'provider'>;
  readonly failovers: Counter<'provider'>;
  readonly webhooks: Counter<'provider' | 'kind'>;
  readonly relays: Counter<'status'>;
  readonly masked: Counter<'outcome'>;
  readonly reconciled: Counter<'provider'>;
  readonly resendChecks: Counter<'provider' | 'found'>;

  #health: () => [string, HealthView][] = () => [];

  /** Where the provider health gauges read from (the worker's health tracker). */
  watchHealth(read: () => [string, HealthView][]): void { this.#health = read; }
  #sessions: () => [string, SessionStats[]][] = () => [];
  /** providers' long-lived sessions (SMPP binds): state, window in use, totals */
  watchSessions(read: () => [string, SessionStats[]][]): void { this.#sessions = read; }
  #degraded: () => boolean = () => false;
  /** whether shared state (Redis) is unreachable right now */
  watchShared(read: () => boolean): void { this.#degraded = read; }

  constructor(store: MetricsStore, bus: MessageBus, opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    // The event loop's delay sampled every 100 ms, not prom-client's 10 ms: 100 timer wake-ups a
    // second were half an idle api process's CPU (issue 26), paid again by every process added.
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 100 });
    this.accepted = new Counter({ name: 'switchboard_messages_accepted_total', help: 'Messages accepted at intake', registers });
    this.final = new Counter({ name: 'switchboard_messages_final_total', help: 'Messages that reached a final status, counted once each', labelNames: ['status'], registers });
    this.attempts = new Counter({ name: 'switchboard_send_attempts_total', help: 'Send attempts by provider and outcome', labelNames: ['provider', 'outcome'], registers });
    this.receiptFailovers = new Counter({ name: 'switchboard_receipt_failovers_total', help: 'Messages sent once more through another provider because this one gave no receipt in time (failover_after_seconds): each cost twice', labelNames: ['provider'], registers });
    this.smppBindRefusals = new Counter({ name: 'switchboard_smpp_bind_refusals_total', help: 'Binds to the SMPP server refused: wrong credentials, a scope the key lacks, or a system_id locked out after repeated failures', labelNames: ['reason'], registers });
    this.smppBindLockouts = new Counter({ name: 'switchboard_smpp_bind_lockouts_total', help: 'Times a system_id or a host was locked out of the SMPP server after repeated failed binds', registers });
    this.authFailures = new Counter({ name: 'switchboard_auth_failures_total', help: 'Sign-ins refused: an unknown or revoked API key (bearer), a dashboard sign-in with a wrong key (dashboard), the latter also while its address is locked out (dashboard_locked_out)', labelNames: ['channel'], registers });
    this.databaseUp = new Gauge({ name: 'switchboard_database_up', help: 'Whether this process reached its database at the last check (1) or not (0)', registers });
    this.databaseUp.set(1);
    this.databaseOutages = new Counter({ name: 'switchboard_database_outages_total', help: 'Times this process found its database unreachable after it had answered', registers });
    this.unmappedErrors = new Counter({ name: 'switchboard_provider_unmapped_errors_total', help: 'Send failures whose provider code is not in the adapter\'s table (classified by HTTP status): a new code to map', labelNames: ['provider', 'provider_code'], registers });
    this.simulatedSends = new Counter({ name: 'switchboard_simulated_sends_total', help: 'Sends a simulator took (nothing left the building), by provider', labelNames: ['provider'], registers });
    this.sendDuration = new Histogram({
      name: 'switchboard_send_duration_seconds', help: 'Provider send call latency', labelNames: ['provider'], registers,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
    this.failovers = new Counter({ name: 'switchboard_failovers_total', help: 'Sends moved from this provider to another', labelNames: ['provider'], registers });
    this.webhooks = new Counter({ name: 'switchboard_webhooks_received_total', help: 'Provider webhooks stored', labelNames: ['provider', 'kind'], registers });
    this.relays = new Counter({ name: 'switchboard_relays_total', help: 'Relayed inbound texts by how they ended (delivered, failed, blocked)', labelNames: ['status'], registers });
    this.reconciled = new Counter({ name: 'switchboard_receipts_reconciled_total', help: 'Status changes learned by asking a provider (its receipt was late or lost)', labelNames: ['provider'], registers });
    this.resendChecks = new Counter({ name: 'switchboard_resend_checks_total', help: 'Interrupted sends looked up at the provider before resending: found (not sent again), not found, or unknown (lookup failed)', labelNames: ['provider', 'found'], registers });
    this.masked = new Counter({ name: 'switchboard_masked_messages_total', help: 'Texts to masking proxies: forwarded, or dropped (no session)', labelNames: ['outcome'], registers });
    // One query serves every gauge of a scrape that reads it.
    const readStats = perScrape(() => store.queueStats(Date.now()), { depth: 0, oldestDueAt: null, byStatus: {}, lanes: [] });
    new Gauge({
      name: 'switchboard_queue_depth', help: 'Messages accepted and not yet handed to a provider', registers,
      async collect() { this.set((await readStats()).depth); },
    });
    new Gauge({
      name: 'switchboard_queue_oldest_age_seconds', help: 'How long the oldest due message has waited', registers,
      async collect() { const s = await readStats(); this.set(ageSeconds(s.oldestDueAt, Date.now())); },
    });
    new Gauge({
      name: 'switchboard_queue_lane_depth', help: 'Messages queued or being sent, by account and lane (priority)', labelNames: ['account', 'priority'], registers,
      async collect() { this.reset(); for (const l of (await readStats()).lanes) this.set({ account: l.account_id, priority: priorityOf(l.lane) }, l.depth); },
    });
    new Gauge({
      name: 'switchboard_queue_lane_oldest_age_seconds', help: 'How long the oldest due message of each account and lane has waited for its turn', labelNames: ['account', 'priority'], registers,
      async collect() {
        this.reset();
        const now = Date.now();
        for (const l of (await readStats()).lanes) this.set({ account: l.account_id, priority: priorityOf(l.lane) }, ageSeconds(l.oldestDueAt, now));
      },
    });
    new Gauge({
      name: 'switchboard_messages', help: 'Messages not yet final, by status (final ones: switchboard_messages_final_total)', labelNames: ['status'], registers,
      async collect() { this.reset(); for (const [s, n] of Object.entries((await readStats()).byStatus)) this.set({ status: s }, n); },
    });
    const readBacklog = perScrape(() => store.webhookBacklog(Date.now()), { count: 0, oldestAt: null });
    new Gauge({
      name: 'switchboard_webhooks_backlog', help: 'Provider webhooks (receipts, inbound texts) stored and due but not yet applied: the backlog after a receipt storm', registers,
      async collect() { this.set((await readBacklog()).count); },
    });
    new Gauge({
      name: 'switchboard_webhooks_backlog_oldest_age_seconds', help: 'How long the oldest stored webhook not yet applied has waited', registers,
      async collect() { const b = await readBacklog(); this.set(ageSeconds(b.oldestAt, Date.now())); },
    });
    const readUnsettled = perScrape(() => store.unsettledStats(), { count: 0, oldestAt: null });
    new Gauge({
      name: 'switchboard_parts_awaiting_receipt', help: 'Parts sent and still without a final status (awaiting a receipt, reconciliation or the receipt deadline)', registers,
      async collect() { this.set((await readUnsettled()).count); },
    });
    new Gauge({
      name: 'switchboard_parts_awaiting_receipt_oldest_age_seconds', help: 'How long the oldest part still awaiting a receipt has waited', registers,
      async collect() { const u = await readUnsettled(); this.set(ageSeconds(u.oldestAt, Date.now())); },
    });
    const breaker: Gauge<'provider'> = new Gauge({
      name: 'switchboard_provider_circuit_state', help: 'Circuit breaker per provider: 0 closed, 1 half-open, 2 open (this process; shared through Redis when configured)', labelNames: ['provider'], registers,
      collect: () => { for (const [id, v] of this.#health()) breaker.set({ provider: id }, v.state === 'closed' ? 0 : v.state === 'half_open' ? 1 : 2); },
    });
    const errorRate: Gauge<'provider'> = new Gauge({
      name: 'switchboard_provider_error_rate', help: 'Share of send attempts that failed in the health window (every process when Redis is configured, else this one)', labelNames: ['provider'], registers,
      collect: () => { for (const [id, v] of this.#health()) errorRate.set({ provider: id }, v.errorRate); },
    });
    const sessions = (set: (g: Gauge<'provider' | 'session'>, s: SessionStats, labels: { provider: string; session: string }) => void) => function (this: Gauge<'provider' | 'session'>) {
      this.reset();
      for (const [provider, list] of read()) for (const s of list) set(this, s, { provider, session: s.session });
    };
    const read = () => this.#sessions();
    new Gauge({ name: 'switchboard_provider_session_up', help: 'A provider session (SMPP bind): 1 bound, 0 not', labelNames: ['provider', 'session'], registers, collect: sessions((g, s, l) => g.set(l, s.up ? 1 : 0)) });
    new Gauge({ name: 'switchboard_provider_session_window_in_use', help: 'Requests sent on the session and not yet answered (submit_sm without submit_sm_resp)', labelNames: ['provider', 'session'], registers, collect: sessions((g, s, l) => g.set(l, s.inflight)) });
    new Gauge({ name: 'switchboard_provider_session_submits', help: 'Submits sent on the session since it was created', labelNames: ['provider', 'session'], registers, collect: sessions((g, s, l) => g.set(l, s.submitted)) });
    new Gauge({ name: 'switchboard_provider_session_throttled', help: 'Submits the provider throttled on the session since it was created', labelNames: ['provider', 'session'], registers, collect: sessions((g, s, l) => g.set(l, s.throttled)) });
    new Gauge({ name: 'switchboard_provider_session_submit_latency_seconds_avg', help: 'Mean time from submit to its answer on the session', labelNames: ['provider', 'session'], registers, collect: sessions((g, s, l) => g.set(l, s.submitted ? s.latencyMsTotal / s.submitted / 1000 : 0)) });
    const degraded: Gauge = new Gauge({
      name: 'switchboard_shared_state_degraded', help: '1 while Redis is configured but unreachable: rate limits and provider health are per process', registers,
      collect: () => { degraded.set(this.#degraded() ? 1 : 0); },
    });
    bus.onStatus(({ message, previous }) => {
      if (isFinal(message.status) && (previous === null || !isFinal(previous))) this.final.inc({ status: message.status });
    });
  }
}

/** `read`, at most once per 500 ms: the gauges of one scrape share one query. */
/**
 * A store read shared by the gauges of one scrape. While the database is away the last
 * value read stands (or `empty`, before any), so /metrics still answers and shows
 * switchboard_database_up 0 when it matters most.
 */
function perScrape<T>(read: () => Promise<T>, empty: T): () => Promise<T> {
  let value: T | undefined;
  let at = 0;
  return async () => {
    if (value === undefined || Date.now() - at > 500) {
      try {
        value = await read();
      } catch (err) {
        if (!storeFailure(err)) throw err;
        value ??= empty;
      }
      at = Date.now();
    }
    return value;
  };
}
