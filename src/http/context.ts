// What every HTTP route is handed: the services of one Switchboard process. Built by
// app.ts (the composition root); its own module so that routes depend on the services'
// types, never on the module that wires them.
import type { AccountSettingsCache } from '../intake/account-settings.ts';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Store } from '../store/store.ts';
import type { MessageBus } from '../events/bus.ts';
import type { Metrics } from '../metrics.ts';
import type { ProviderRegistry } from '../providers/registry.ts';
import type { IncomingWebhook } from '../webhooks/ingest.ts';
import type { Intake } from '../intake/accept-message.ts';
import type { Router } from '../routing/choose-route.ts';
import type { Health } from '../routing/health.ts';
import type { RateLimiter } from '../routing/rate-limit/limiter.ts';
import type { RelayService } from '../relay/relay.ts';
import type { MaskService } from '../masking/masks.ts';
import type { CallbackGuard } from '../callbacks/ssrf.ts';
import type { Authenticator } from '../auth/auth.ts';
import type { Waiters } from './waiters.ts';
import type { EventPublisher } from '../events/publisher.ts';
import type { CarrierLookups } from '../routing/lookups.ts';

/** What readiness reports: draining once shutdown began; degraded while shared state is unreachable. */
export interface Lifecycle {
  draining: boolean;
  /** why the process runs degraded (empty when it does not) */
  degraded(): string[];
}

export interface AppContext {
  config: Config;
  store: Store;
  bus: MessageBus;
  metrics: Metrics;
  registry: ProviderRegistry;
  router: Router;
  health: Health;
  limiter: RateLimiter;
  intake: Intake;
  relays: RelayService;
  masks: MaskService;
  auth: Authenticator;
  waiters: Waiters;
  ingestWebhook: (w: IncomingWebhook) => Promise<string>;
  guard: CallbackGuard;
  logger: Logger;
  lifecycle: Lifecycle;
  /** the event stream's publisher, in a process that runs workers: the feed's long-poll waits on it */
  events?: Pick<EventPublisher, 'sequenced'>;
  /** carrier lookups (GET /v1/lookups/:number) */
  lookups: CarrierLookups;
  /** every account's settings (opt-out scope, transactional messages past opt-outs) */
  settings: AccountSettingsCache;
}
