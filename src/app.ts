// Composition: config → store → services → HTTP server and/or workers, by role.
// `createApp` is what `switchboard serve` runs and what end-to-end tests boot.
import type { FastifyInstance } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { ConfigError, weakAdminKey, type Config } from './config.ts';
import type { InboundRow, Store } from './store/store.ts';
import { batchesInFlight, openStore } from './store/open-store.ts';
import { MessageBus } from './events/bus.ts';
import { Metrics } from './metrics.ts';
import { ProviderRegistry } from './providers/registry.ts';
import { WebhookIngest, type IncomingWebhook, type LocateWebhook } from './webhooks/ingest.ts';
import { WebhookProcessor } from './webhooks/processor.ts';
import { webhookRegion } from './webhooks/region.ts';
import { Reconciler } from './receipts/reconcile.ts';
import { RECEIPT_PLANNER } from './receipts/plan.ts';
import { Retention } from './worker/retention.ts';
import { ConfigWatch } from './services/config-watch.ts';
import { AccountSettingsCache } from './intake/account-settings.ts';
import { SignInWatch } from './services/sign-in-watch.ts';
import { Periodic } from './loop/periodic.ts';
import { rollUpSettled } from './services/reports.ts';
import { BUCKET_MS } from './store/shared/attempt-buckets.ts';
import { Intake } from './intake/accept-message.ts';
import { Router } from './routing/choose-route.ts';
import { Health } from './routing/health.ts';
import { createLimiter } from './routing/rate-limit/redis.ts';
import { SharedHealth } from './routing/shared-health.ts';
import { RedisLeases } from './routing/leases.ts';
import type { RateLimiter } from './routing/rate-limit/limiter.ts';
import { AlertMonitor, AlertNotifier } from './routing/alerts.ts';
import { DatabaseWatch } from './services/database-watch.ts';
import { OptOutHandler } from './optout/inbound.ts';
import { smsFallback } from './services/voice-fallback.ts';
import { RelayService } from './relay/relay.ts';
import { MaskService } from './masking/masks.ts';
import { Worker } from './worker/worker.ts';
import { Authenticator } from './auth/auth.ts';
import { Waiters } from './http/waiters.ts';
import { buildServer } from './http/server.ts';
import { SmppServer } from './smpp-server/server.ts';
import { inboundInOrder } from './services/inbound.ts';
import { consentCallback, inboundCallbacks } from './callbacks/inbound.ts';
import { accountWeights } from './domain/lanes.ts';
import { AccountAlerts } from './services/account-alerts.ts';
import { receiptFailovers } from './services/receipt-failover.ts';
import type { AppContext } from './http/context.ts';
export type { AppContext } from './http/context.ts';
import { createLogger } from './log.ts';
import { CallbackGuard } from './callbacks/ssrf.ts';
import { eventPublishers } from './events/publisher.ts';
import { makeSinks } from './events/sinks/make.ts';
import { CarrierLookups } from './routing/lookups.ts';
import { circuitEvent, consentEvent } from './public/events.ts';
import { CallbackDispatcher } from './callbacks/dispatcher.ts';


export interface App {
  ctx: AppContext;
  smpp: SmppServer | null;
  worker: Worker | null;
  processor: WebhookProcessor | null;
  callbacks: CallbackDispatcher | null;
  alerts: AlertMonitor | null;
  server: FastifyInstance | null;
  /** the base URL the server listens on (after start) */
  url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function createApp(config: Config, opts: { logger?: Logger; store?: Store; defaultMetrics?: boolean } = {}): Promise<App> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const weight = accountWeights(config.accountWeights); // refused before anything is opened
  const runsWorkers = config.role === 'all' || config.role === 'worker';
  const runsApi = config.role === 'all' || config.role === 'api';
  // SQLite's writer thread pays off where the process also sends (claims, outcomes and
  // receipts keep it busy); for intake alone the thread hop costs more than it saves (measured).
  const writerThread = config.sqliteWriterThread === 'on' || (config.sqliteWriterThread === 'auto' && runsWorkers);
  const store = opts.store ?? (await openStore(config, { writerThread, receiptPlanner: RECEIPT_PLANNER }));
  const bus = new MessageBus();
  const metrics = new Metrics(store, bus, { defaultMetrics: opts.defaultMetrics });

  let processor: WebhookProcessor | null = null;
  let locate: LocateWebhook | undefined;
  const ingest = new WebhookIngest(store, (at) => processor?.wakeAt(at), batchesInFlight(store), config.batchWindowMs, store.regions && ((w) => locate!(w)), store.regions?.all.length);
  const ingestWebhook = async (w: IncomingWebhook) => {
    const id = await ingest.ingest(w);
    metrics.webhooks.inc({ provider: w.providerId, kind: w.kind });
    return id;
  };
  // Provider sessions (SMPP binds) are slots leased through Redis, so their count holds across processes.
  const leases = config.redisUrl && runsWorkers ? new RedisLeases(config.redisUrl, config.redisPrefix, config.sessionLeaseMs) : undefined;
  const registry = new ProviderRegistry({
    store, config, logger, sessions: runsWorkers, leases,
    emitWebhook: async (providerId, w) => {
      await ingestWebhook({ providerId, kind: w.kind, url: `${config.publicUrl}/webhooks/${providerId}/${w.kind}`, headers: w.headers ?? {}, body: w.body, processAfter: w.processAfter });
    },
  });
  locate = webhookRegion(store, registry);
  const health = new Health({ windowMs: config.healthWindowMs, threshold: config.healthErrorThreshold, minSamples: config.healthMinSamples, openMs: config.circuitOpenMs,
    minDeliveryRate: config.healthMinDeliveryRate, minDeliverySamples: config.healthMinDeliverySamples, receiptSlaMs: config.receiptSlaMs });
  health.onChange = (provider, state) => logger.warn({ provider, state }, `circuit ${state.replace('_', '-')}`);
  health.onDecided = (provider, state, why, now) => void store.appendEvents([circuitEvent(provider, state, why, now)]).catch((err) => logger.warn({ err, provider }, 'circuit event not written'));
  metrics.watchHealth(() => registry.active().map((p) => [p.id, health.view(p.id, Date.now())]));
  metrics.watchSessions(() => registry.active().flatMap((p) => (p.capabilities.sessions ? [[p.id, p.capabilities.sessions.sessionStats()] as const] : [])));
  bus.onStatus(({ message, previous }) => {
    // Delivery receipts feed each provider's recent delivery rate (a routing score input),
    // and, counted against the time of their send, its receipt latency.
    if (message.provider_id && previous !== message.status && (message.status === 'delivered' || message.status === 'undelivered')) {
      health.recordReceipt(message.provider_id, message.status === 'delivered', Date.now(), message.sent_at);
    }
  });
  const router = new Router({ registry, store, health, deliveryWeight: config.deliveryWeight, logger });
  const limiter = createLimiter(config.redisUrl, `${config.redisPrefix}rate:`, (down) => logger[down ? 'warn' : 'info'](down ? 'Redis unreachable: rate limits are per process until it answers again' : 'Redis answers again: rate limits are shared'));
  // Health and circuits are shared by every process when Redis is configured.
  const sharedHealth = config.redisUrl
    ? new SharedHealth({ health, redisUrl: config.redisUrl, prefix: config.redisPrefix, windowMs: config.healthWindowMs, openMs: config.circuitOpenMs, syncMs: config.sharedSyncMs, providers: () => registry.active().map((p) => p.id), logger })
    : null;
  // The event stream (events/publisher.ts): every worker process runs one; the lease holder
  // works, looking for new events every 100 ms (a wake per change would cost a round per message).
  const events = !runsWorkers ? null : eventPublishers({ sinks: makeSinks(config), source: config.publicUrl, logger, registry: metrics.registry, retentionMs: config.eventRetentionHours * 3_600_000 },
    store.regions ? [store.regions.home, ...store.regions.working.map((r) => r.store)] : [store]);
  const degraded = (): string[] => [
    ...(events?.degraded() ?? []),
    ...(limiter.degraded ? ['redis unreachable: rate limits are per process'] : []),
    ...(sharedHealth?.degraded ? ['redis unreachable: provider health is per process'] : []),
    ...[...(store.regions?.down ?? [])].map((name) => `region ${name} unreachable: its data is unavailable, the other regions' is not`),
  ];
  metrics.watchShared(() => degraded().length > 0);
  const lookups = new CarrierLookups({ store, registry, ttlMs: config.lookupTtlDays * 86_400_000 });
  const worker = runsWorkers ? new Worker({ store, config, router, health, limiter, bus, metrics, logger, lookups }) : null;
  if (runsWorkers) processor = new WebhookProcessor({ store, registry, bus, logger, pollMs: config.pollMs, batchWindowMs: config.batchWindowMs, replyWindowMs: config.replyWindowSeconds * 1000, accountOf: (n) => router.number(n)?.accountId });
  const guard = new CallbackGuard(config.callbackAllowlist);
  const callbacks = runsWorkers
    ? new CallbackDispatcher({ store, guard, logger, pollMs: config.pollMs, adminSecret: config.webhookSecret, backoffBaseMs: config.backoffBaseMs, backoffMaxMs: config.backoffMaxMs * 6 })
    : null;
  // A status change enqueues a callback only for a message that has a callback_url (callbackFor).
  if (callbacks) bus.onStatus(({ message }) => { if (message.callback_url) callbacks.wake(); });
  const settings = new AccountSettingsCache(store, config);
  const intake = new Intake(store, router, (_message, handedOff) => {
    metrics.accepted.inc();
    if (!handedOff) worker?.wake();
  }, { checkCallback: guard.checkAtIntake, batchesInFlight: batchesInFlight(store), weight, settings: (a) => settings.get(a) });
  if (worker) intake.handOffTo(worker);
  const relays = new RelayService({ store, config, intake, router, limiter, metrics, logger });
  const masks = new MaskService({ store, config, intake, router, metrics, logger });
  bus.onStatus(({ message }) => relays.onMessage(message));
  // A call that ended busy, no-answer or failed, asked to, is sent again as an SMS (services/voice-fallback.ts).
  bus.onStatus(({ message, previous }) => {
    const sms = smsFallback(message, previous);
    if (sms) void intake.accept(sms.input, sms.caller, sms.idempotencyKey).catch((err) => logger.error({ err, message: message.id }, 'the SMS fallback of a call could not be accepted'));
  });
  if (processor) {
    const optOuts = new OptOutHandler({ store, config, intake, owns: (n) => router.number(n) !== undefined, logger, settings: (a) => settings.get(a) });
    const target = (n: string) => router.number(n)?.inbound;
    const announce = (rows: InboundRow[]) => store.insertCallbacks(inboundCallbacks(rows, target, Date.now())).then(() => callbacks?.wake());
    optOuts.onConsent = async (m, change, sender) => {
      const row = consentCallback(m, change, sender, target, Date.now());
      await store.appendEvents([consentEvent(m, change, sender, Date.now())]);
      if (row) await store.insertCallbacks([row]);
    };
    processor.onInbound = inboundInOrder({ optOuts, announce, masks, relays });
  }
  const reconciler = runsWorkers
    ? new Reconciler({
      store, registry, bus, logger, afterMs: config.reconcileAfterMs, everyMs: config.reconcileEveryMs, deadlineMs: config.receiptDeadlineMs, batch: config.reconcileBatch, timeoutMs: config.sendTimeoutMs,
      onReconciled: (provider, n) => metrics.reconciled.inc({ provider }, n),
    })
    : null;
  const retention = runsWorkers
    ? new Retention({ store, logger, days: config.retentionDays, everyMs: config.retentionEveryMs, archivePath: config.retentionArchive })
    : null;
  // PostgreSQL: the queue's dead row versions, cleared before claims slow down (store/postgres/queue-vacuum.ts).
  const vacuum = runsWorkers && store.vacuumQueue && config.pgVacuumMs > 0 ? new Periodic(() => store.vacuumQueue!(), config.pgVacuumMs, logger, 'queue vacuum', config.pgVacuumMs) : null;
  const failovers = worker ? receiptFailovers({ store, metrics, wake: () => worker.wake(), logger }) : null;
  // Report rollups (services/reports.ts): each minute as it settles, so reports and the
  // dashboard read minutes, not messages. The first run waits a minute: a starting
  // process has other work, and a report rolls up what it reads anyway.
  const rollups: Periodic | null = runsWorkers
    ? new Periodic(() => rollUpSettled(store, Date.now(), () => rollups!.stopping), 60_000, logger, 'report rollup', 60_000)
    : null;
  // Attempt buckets (store/shared/attempt-buckets.ts): /v1/status and the failover alert
  // read a window's settled buckets, not every attempt in it.
  const attemptBuckets: Periodic | null = runsWorkers
    ? new Periodic(() => store.rollUpAttemptBuckets(Date.now()), BUCKET_MS, logger, 'attempt buckets')
    : null;
  const notifier = new AlertNotifier({ config, logger, sendSms: async (to, body) => { await intake.accept({ to, body }, { accountId: 'default', keyId: null }); } });
  const alerts = runsWorkers
    ? new AlertMonitor({
      store, config, logger, notifier,
      downProviders: () => registry.active().filter((p) => health.view(p.id, Date.now()).demoted === 'errors' || p.capabilities.sessions?.ready() === false).map((p) => p.id),
      demotions: () => registry.active().map((p) => [p.id, health.view(p.id, Date.now()).demoted] as [string, string | null]),
    })
    : null;
  if (worker) {
    const accountAlerts = new AccountAlerts({ notifier, store, logger });
    registry.onAccountState = (providerId, refused, detail) => accountAlerts.sessionState(providerId, refused, detail);
    worker.onAccountRefused = (providerId, e) => accountAlerts.sendRefused(providerId, e);
    const circuitLog = health.onChange;
    health.onChange = (providerId, state) => {
      circuitLog?.(providerId, state);
      if (state === 'closed') accountAlerts.circuitClosed(providerId);
    };
  }
  const signIns = runsApi && config.alertSignInFailures > 0 ? new SignInWatch({ metrics, store, notifier, threshold: config.alertSignInFailures, windowMs: config.alertWindowMs, everyMs: config.alertCheckMs, logger }) : null;
  // Every process watches its own way to the database (the alert cannot be kept in it).
  const databaseWatch = new DatabaseWatch({
    store, everyMs: config.databaseCheckMs, alertAfterMs: config.alertDatabaseDownMs, logger, notifier,
    metrics: { up: (up) => metrics.databaseUp.set(up ? 1 : 0), outage: () => metrics.databaseOutages.inc() },
  });
  const lifecycle = { draining: false, degraded };
  const auth = new Authenticator(store, config.adminKey, config.webhookSecret);
  const ctx: AppContext = {
    config, store, bus, metrics, registry, router, health, limiter, intake, relays, masks, ingestWebhook, logger, guard, lifecycle, auth, events: events ?? undefined, lookups, settings,
    waiters: new Waiters(store, bus),
  };
  // Another process's configuration change: routes, keys and providers are read again, and
  // messages waiting for a route try the new configuration at once.
  const configWatch = new ConfigWatch({
    store, everyMs: config.configPollMs, logger, listening: store.listening && (() => store.listening!()),
    onChange: async () => {
      await Promise.all([router.refresh(), settings.refresh()]);
      auth.forget();
      if (worker && (await store.wakeWaiting(Date.now())) > 0) worker.wake();
    },
  });
  const server = runsApi ? await buildServer(ctx, logger) : null;
  // Legacy systems submit over SMPP to the same intake (off unless SWITCHBOARD_SMPP_PORT is set).
  const smppServer = runsApi && config.smppPort > 0 ? new SmppServer(ctx) : null;

  const app: App = {
    ctx, worker, processor, callbacks, alerts, server, smpp: smppServer, url: '',
    async start() {
      const weak = server ? weakAdminKey(config) : null;
      if (weak) throw new ConfigError(weak);
      await limiter.start?.();
      await sharedHealth?.start();
      await Promise.all([router.start(), settings.refresh()]);
      await configWatch.start();
      databaseWatch.start();
      signIns?.start();
      if (store.listen) await store.listen({ config: () => configWatch.poke(), ...(worker ? { wake: () => worker.wake() } : {}), ...(processor ? { webhooks: () => processor.wake() } : {}) });
      worker?.start();
      processor?.start();
      callbacks?.start();
      alerts?.start();
      reconciler?.start();
      retention?.start();
      vacuum?.start();
      rollups?.start();
      attemptBuckets?.start();
      failovers?.start();
      events?.start();
      if (runsWorkers) { relays.start(); masks.start(); }
      await smppServer?.start();
      if (server) {
        const address = await server.listen({ port: config.port, host: config.host });
        app.url = address.replace('0.0.0.0', '127.0.0.1').replace('[::]', '127.0.0.1');
      }
      logger.info({ role: config.role, store: store.dialect, url: app.url || undefined, providers: registry.active().map((p) => p.id), simulator: registry.simulating() }, 'switchboard started');
      if (registry.simulating()) logger.warn('no provider is configured: the built-in simulator serves every send (nothing leaves this machine); SWITCHBOARD_SIMULATOR=off turns it off');
      else if (!router.configured()) logger.warn('no provider is configured: messages wait queued (no_provider_configured) until one is created');
    },
    async stop() {
      // Graceful shutdown, within SWITCHBOARD_SHUTDOWN_TIMEOUT_MS:
      // 1. readiness goes false and every answer says `Connection: close`, for
      //    SWITCHBOARD_SHUTDOWN_DRAIN_MS (load balancers stop routing here; keep-alive
      //    clients reconnect elsewhere);
      // 2. the listener closes; every request already received is answered (held ?wait=
      //    requests at once, with the message as it stands); accepted ones commit;
      // 3. meanwhile the worker stops claiming and in-flight sends finish, or have their
      //    leases released shortly before the deadline; batched writes are flushed.
      const deadline = Date.now() + config.shutdownTimeoutMs;
      lifecycle.draining = true;
      if (server && config.shutdownDrainMs > 0) await sleep(Math.min(config.shutdownDrainMs, config.shutdownTimeoutMs / 2));
      ctx.waiters.close();
      const stopping = worker?.stop(deadline - Math.min(2_000, config.shutdownTimeoutMs / 5));
      await smppServer?.stop();
      if (server) await server.close();
      await intake.drain();
      await stopping;
      for (const part of [processor, callbacks, alerts, reconciler, retention, vacuum, rollups, attemptBuckets, failovers, events, relays, masks]) await part?.stop();
      await ingest.drain();
      await configWatch.stop();
      await Promise.all([databaseWatch.stop(), signIns?.stop()]);
      await registry.close();
      await leases?.close();
      await sharedHealth?.close();
      await limiter.close();
      await store.close();
    },
  };
  return app;
}
