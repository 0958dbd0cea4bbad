// Configuration: one schema → a typed, frozen Config. The only reader of process.env.
// Every key can come from the environment (its env var) or from the optional JSON file
// named by SWITCHBOARD_CONFIG (camelCase keys); the environment wins. Unknown keys in the
// file and malformed values are errors that name both the key and the env var.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isIP } from 'node:net';
import { parseRegionMap, type RegionMap } from './domain/regions.ts';

type Kind = 'string' | 'int' | 'number' | 'bool' | 'list' | 'role';

/** `values`: a string that must be one of them. */
interface Field { env: string; kind: Kind; def: unknown; min?: number; max?: number; secret?: boolean; values?: readonly string[] }

const SCHEMA = {
  port: { env: 'PORT', kind: 'int', def: 8080, min: 0, max: 65535 },
  // Loopback by default (DESIGN §6): a fresh install is reachable from this machine only;
  // HOST=0.0.0.0 (and a strong admin key) for a server others reach.
  host: { env: 'HOST', kind: 'string', def: '127.0.0.1' },
  // Which hops may set X-Forwarded-For/-Proto/-Host (the client's address, https): off (no
  // one: a client could claim any address), a hop count, or the proxies' addresses and
  // CIDRs, comma-separated.
  trustProxy: { env: 'SWITCHBOARD_TRUST_PROXY', kind: 'string', def: 'off' },
  role: { env: 'SWITCHBOARD_ROLE', kind: 'role', def: 'all' },
  dataDir: { env: 'SWITCHBOARD_DATA_DIR', kind: 'string', def: './data' },
  databaseUrl: { env: 'DATABASE_URL', kind: 'string', def: '' },
  // Data residency (domain/regions.ts): each region's store, `eu=postgres://…,us=postgres://…`
  // (a name alone: a SQLite file in the data folder); DATABASE_URL stays the home store of
  // configuration. Which countries' numbers each region holds: `eu=DE,FR;us=*`. Which
  // regions this process's workers work in (`serve --region eu`): all by default.
  regions: { env: 'SWITCHBOARD_REGIONS', kind: 'string', def: '' },
  regionCountries: { env: 'SWITCHBOARD_REGION_COUNTRIES', kind: 'string', def: '' },
  workerRegions: { env: 'SWITCHBOARD_WORKER_REGIONS', kind: 'list', def: [] },
  databasePoolSize: { env: 'SWITCHBOARD_DB_POOL_SIZE', kind: 'int', def: 10, min: 1, max: 1000 },
  // PostgreSQL's hot statements (intake, claims, raw webhooks, the worker's outcome and receipt batches) as named prepared statements; off behind a pooler in transaction mode that cannot keep them.
  pgPrepared: { env: 'SWITCHBOARD_PG_PREPARED', kind: 'bool', def: true },
  // The PostgreSQL ledger partitioned by month (store/postgres/partitions.ts): retention drops
  // months whole. new: a new database's ledger is; an existing plain one is left as it is
  // (converting it is one long transaction: `true` does it at the next start).
  pgLedgerByMonth: { env: 'SWITCHBOARD_PG_LEDGER_BY_MONTH', kind: 'string', def: 'new', values: ['new', 'true', 'false'] },
  sqliteWriterThread: { env: 'SWITCHBOARD_SQLITE_WRITER_THREAD', kind: 'string', def: 'auto', values: ['auto', 'on', 'off'] },
  redisUrl: { env: 'REDIS_URL', kind: 'string', def: '' },
  redisPrefix: { env: 'SWITCHBOARD_REDIS_PREFIX', kind: 'string', def: 'switchboard:' },
  publicUrl: { env: 'PUBLIC_URL', kind: 'string', def: '' },
  adminKey: { env: 'SWITCHBOARD_ADMIN_KEY', kind: 'string', def: '', secret: true },
  webhookSecret: { env: 'SWITCHBOARD_WEBHOOK_SECRET', kind: 'string', def: '', secret: true },
  sessionSecret: { env: 'SWITCHBOARD_SESSION_SECRET', kind: 'string', def: '', secret: true },
  callbackAllowlist: { env: 'SWITCHBOARD_CALLBACK_ALLOWLIST', kind: 'list', def: [] },
  corsOrigins: { env: 'SWITCHBOARD_CORS_ORIGINS', kind: 'list', def: [] },
  providerEnv: { env: 'SWITCHBOARD_PROVIDER_ENV', kind: 'list', def: ['TWILIO_', 'VONAGE_', 'SINCH_', 'AWS_', 'SMPP_'] },
  logLevel: { env: 'LOG_LEVEL', kind: 'string', def: 'info' },
  logBodies: { env: 'SWITCHBOARD_LOG_BODIES', kind: 'bool', def: false },
  // auto: the built-in simulator serves when no provider is configured on the embedded
  // default (SQLite), never with DATABASE_URL on PostgreSQL; on: also there; off: never.
  simulator: { env: 'SWITCHBOARD_SIMULATOR', kind: 'string', def: 'auto', values: ['auto', 'on', 'off'] },
  // How often each process checks for configuration changes made by another one (a version
  // number the database bumps); on PostgreSQL a NOTIFY tells it at once and this is the safety net.
  configPollMs: { env: 'SWITCHBOARD_CONFIG_POLL_MS', kind: 'int', def: 500, min: 10 },
  simulatorLatencyMs: { env: 'SWITCHBOARD_SIMULATOR_LATENCY_MS', kind: 'int', def: 200, min: 0 },
  // A file of SNS signing certificates to trust besides AWS's ({ "<SigningCertURL>": "<PEM>" }): the AWS sandbox's (switchboard sandbox aws). Never in production.
  snsTrust: { env: 'SWITCHBOARD_SNS_TRUST', kind: 'string', def: '' },
  simulatorFailureRate: { env: 'SWITCHBOARD_SIMULATOR_FAILURE_RATE', kind: 'number', def: 0, min: 0, max: 1 },
  simulatorUndeliveredRate: { env: 'SWITCHBOARD_SIMULATOR_UNDELIVERED_RATE', kind: 'number', def: 0, min: 0, max: 1 },
  workerConcurrency: { env: 'SWITCHBOARD_WORKER_CONCURRENCY', kind: 'int', def: 256, min: 1 },
  workerBatchSize: { env: 'SWITCHBOARD_WORKER_BATCH', kind: 'int', def: 200, min: 1, max: 1000 },
  leaseMs: { env: 'SWITCHBOARD_LEASE_MS', kind: 'int', def: 30_000, min: 100 },
  pollMs: { env: 'SWITCHBOARD_POLL_MS', kind: 'int', def: 1_000, min: 10 },
  // How long a worker's loops gather work for a batch that is not full: the claim after a
  // wake-up, outcome writes, raw webhooks stored and applied. A full batch goes at once.
  // Each batch costs its round trips whatever its size, so without a window every worker
  // runs its loops flat out on small batches and each one added costs as much CPU as the
  // first (issue 26); with it a message waits a few more milliseconds. Outcome writes in a
  // steady stream gather on, up to four windows, until 50 are waiting.
  batchWindowMs: { env: 'SWITCHBOARD_BATCH_WINDOW_MS', kind: 'int', def: 20, min: 0, max: 1_000 },
  // The event stream (events/): where events are published (nats://, amqp://, redis://
  // URLs, comma-separated; credentials in a URL stay in the environment) and how long the
  // outbox keeps them (published or not; the HTTP feed reads that far back).
  eventSinks: { env: 'SWITCHBOARD_EVENT_SINKS', kind: 'list', def: [] },
  eventRetentionHours: { env: 'SWITCHBOARD_EVENT_RETENTION_HOURS', kind: 'number', def: 72, min: 0 },
  eventNatsMaxAgeHours: { env: 'SWITCHBOARD_EVENT_NATS_MAX_AGE_HOURS', kind: 'number', def: 72, min: 0 },
  eventNatsMaxBytes: { env: 'SWITCHBOARD_EVENT_NATS_MAX_BYTES', kind: 'int', def: 1_073_741_824, min: -1 },
  eventRedisMaxLen: { env: 'SWITCHBOARD_EVENT_REDIS_MAXLEN', kind: 'int', def: 1_000_000, min: 1 },
  // Carrier lookups (routing/lookups.ts) are cached this long.
  lookupTtlDays: { env: 'SWITCHBOARD_LOOKUP_TTL_DAYS', kind: 'number', def: 30, min: 0 },
  sendTimeoutMs: { env: 'SWITCHBOARD_SEND_TIMEOUT_MS', kind: 'int', def: 10_000, min: 10 },
  maxAttempts: { env: 'SWITCHBOARD_MAX_ATTEMPTS', kind: 'int', def: 5, min: 1 },
  maxThrottledAttempts: { env: 'SWITCHBOARD_MAX_THROTTLED_ATTEMPTS', kind: 'int', def: 30, min: 1 },
  backoffBaseMs: { env: 'SWITCHBOARD_BACKOFF_BASE_MS', kind: 'int', def: 2_000, min: 1 },
  backoffMaxMs: { env: 'SWITCHBOARD_BACKOFF_MAX_MS', kind: 'int', def: 600_000, min: 1 },
  defaultValiditySeconds: { env: 'SWITCHBOARD_DEFAULT_VALIDITY_SECONDS', kind: 'int', def: 86_400, min: 0 },
  outageRetryMaxMs: { env: 'SWITCHBOARD_OUTAGE_RETRY_MAX_MS', kind: 'int', def: 30_000, min: 10 },
  maxWaitSeconds: { env: 'SWITCHBOARD_MAX_WAIT_SECONDS', kind: 'int', def: 30, min: 0, max: 300 },
  maxFailovers: { env: 'SWITCHBOARD_MAX_FAILOVERS', kind: 'int', def: 2, min: 0 },
  healthWindowMs: { env: 'SWITCHBOARD_HEALTH_WINDOW_MS', kind: 'int', def: 300_000, min: 1_000 },
  healthErrorThreshold: { env: 'SWITCHBOARD_HEALTH_ERROR_THRESHOLD', kind: 'number', def: 0.05, min: 0, max: 1 },
  healthMinSamples: { env: 'SWITCHBOARD_HEALTH_MIN_SAMPLES', kind: 'int', def: 20, min: 1 },
  healthMinDeliveryRate: { env: 'SWITCHBOARD_HEALTH_MIN_DELIVERY_RATE', kind: 'number', def: 0.5, min: 0, max: 1 },
  healthMinDeliverySamples: { env: 'SWITCHBOARD_HEALTH_MIN_DELIVERY_SAMPLES', kind: 'int', def: 50, min: 1 },
  receiptSlaMs: { env: 'SWITCHBOARD_RECEIPT_SLA_MS', kind: 'int', def: 0, min: 0 },
  circuitOpenMs: { env: 'SWITCHBOARD_CIRCUIT_OPEN_MS', kind: 'int', def: 30_000, min: 10 },
  deliveryWeight: { env: 'SWITCHBOARD_DELIVERY_WEIGHT', kind: 'number', def: 1, min: 0 },
  rateWaitMs: { env: 'SWITCHBOARD_RATE_WAIT_MS', kind: 'int', def: 2_000, min: 0 },
  // Fair queues (domain/lanes.ts): the bulk lane's guaranteed share of every worker's
  // claims, and each account's weight among the accounts of its lane ("acct_a=3,acct_b=1"; 1 otherwise).
  bulkShare: { env: 'SWITCHBOARD_BULK_SHARE', kind: 'number', def: 0.1, min: 0, max: 0.5 },
  accountWeights: { env: 'SWITCHBOARD_ACCOUNT_WEIGHTS', kind: 'list', def: [] },
  // An inbound text answers the latest message sent on its pair this long before it (in_reply_to).
  replyWindowSeconds: { env: 'SWITCHBOARD_REPLY_WINDOW_SECONDS', kind: 'int', def: 604_800, min: 0 },
  keyRatePerSecond: { env: 'SWITCHBOARD_KEY_RATE_PER_SECOND', kind: 'number', def: 0, min: 0 },
  keyRateBurst: { env: 'SWITCHBOARD_KEY_RATE_BURST', kind: 'int', def: 100, min: 1 },
  alertFailovers: { env: 'SWITCHBOARD_ALERT_FAILOVERS', kind: 'int', def: 3, min: 0 },
  alertWindowMs: { env: 'SWITCHBOARD_ALERT_WINDOW_MS', kind: 'int', def: 600_000, min: 1_000 },
  alertQueueAgeSeconds: { env: 'SWITCHBOARD_ALERT_QUEUE_AGE_SECONDS', kind: 'int', def: 300, min: 1 },
  // Failed sign-ins (API keys, dashboard, SMPP binds) one api process answered within the alert window before `sign_in_failures` fires; 0: off.
  alertSignInFailures: { env: 'SWITCHBOARD_ALERT_SIGN_IN_FAILURES', kind: 'int', def: 100, min: 0 },
  alertWebhookUrl: { env: 'SWITCHBOARD_ALERT_WEBHOOK_URL', kind: 'string', def: '', secret: true },
  alertSmsTo: { env: 'SWITCHBOARD_ALERT_SMS_TO', kind: 'string', def: '' },
  optOutScope: { env: 'SWITCHBOARD_OPT_OUT_SCOPE', kind: 'string', def: 'account', values: ['account', 'number'] },
  stopKeywords: { env: 'SWITCHBOARD_STOP_KEYWORDS', kind: 'list', def: ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT'] },
  startKeywords: { env: 'SWITCHBOARD_START_KEYWORDS', kind: 'list', def: ['START', 'UNSTOP', 'YES'] },
  helpKeywords: { env: 'SWITCHBOARD_HELP_KEYWORDS', kind: 'list', def: ['HELP', 'INFO'] },
  stopReply: { env: 'SWITCHBOARD_STOP_REPLY', kind: 'string', def: 'You are unsubscribed and will receive no further messages. Reply START to resubscribe.' },
  startReply: { env: 'SWITCHBOARD_START_REPLY', kind: 'string', def: 'You are resubscribed. Reply STOP to unsubscribe, HELP for help.' },
  helpReply: { env: 'SWITCHBOARD_HELP_REPLY', kind: 'string', def: 'Msg&data rates may apply. Reply STOP to unsubscribe, START to resubscribe.' },
  relayReceiptTimeoutMs: { env: 'SWITCHBOARD_RELAY_RECEIPT_TIMEOUT_MS', kind: 'int', def: 120_000, min: 100 },
  relayHopLimit: { env: 'SWITCHBOARD_RELAY_HOP_LIMIT', kind: 'int', def: 3, min: 1 },
  relayRatePerMinute: { env: 'SWITCHBOARD_RELAY_RATE_PER_MINUTE', kind: 'number', def: 10, min: 0 },
  relayBurst: { env: 'SWITCHBOARD_RELAY_BURST', kind: 'int', def: 5, min: 1 },
  maskMaxTtlSeconds: { env: 'SWITCHBOARD_MASK_MAX_TTL_SECONDS', kind: 'int', def: 30 * 86_400, min: 1 },
  alertCheckMs: { env: 'SWITCHBOARD_ALERT_CHECK_MS', kind: 'int', def: 10_000, min: 10 },
  // Each process pings its database this often (switchboard_database_up); away longer than
  // the limit, the database_down alert fires.
  databaseCheckMs: { env: 'SWITCHBOARD_DATABASE_CHECK_MS', kind: 'int', def: 1_000, min: 10 },
  alertDatabaseDownMs: { env: 'SWITCHBOARD_ALERT_DATABASE_DOWN_MS', kind: 'int', def: 15_000, min: 0 },
  retentionDays: { env: 'SWITCHBOARD_RETENTION_DAYS', kind: 'number', def: 0, min: 0 },
  retentionArchive: { env: 'SWITCHBOARD_RETENTION_ARCHIVE', kind: 'string', def: '' },
  retentionEveryMs: { env: 'SWITCHBOARD_RETENTION_EVERY_MS', kind: 'int', def: 3_600_000, min: 10 },
  pgVacuumMs: { env: 'SWITCHBOARD_PG_VACUUM_MS', kind: 'int', def: 5_000, min: 0 },
  reconcileAfterMs: { env: 'SWITCHBOARD_RECONCILE_AFTER_MS', kind: 'int', def: 600_000, min: 100 },
  reconcileEveryMs: { env: 'SWITCHBOARD_RECONCILE_EVERY_MS', kind: 'int', def: 30_000, min: 10 },
  receiptDeadlineMs: { env: 'SWITCHBOARD_RECEIPT_DEADLINE_MS', kind: 'int', def: 259_200_000, min: 1_000 },
  reconcileBatch: { env: 'SWITCHBOARD_RECONCILE_BATCH', kind: 'int', def: 50, min: 1, max: 1000 },
  smppPort: { env: 'SWITCHBOARD_SMPP_PORT', kind: 'int', def: 0, min: 0, max: 65535 },
  smppHost: { env: 'SWITCHBOARD_SMPP_HOST', kind: 'string', def: '' },
  smppTlsCert: { env: 'SWITCHBOARD_SMPP_TLS_CERT', kind: 'string', def: '' },
  smppTlsKey: { env: 'SWITCHBOARD_SMPP_TLS_KEY', kind: 'string', def: '' },
  smppWindow: { env: 'SWITCHBOARD_SMPP_WINDOW', kind: 'int', def: 10, min: 1, max: 1000 },
  smppMaxPerSecond: { env: 'SWITCHBOARD_SMPP_MAX_PER_SECOND', kind: 'number', def: 0, min: 0 },
  smppEnquireLinkSeconds: { env: 'SWITCHBOARD_SMPP_ENQUIRE_LINK_SECONDS', kind: 'int', def: 30, min: 1, max: 3600 },
  smppReceiptTtlSeconds: { env: 'SWITCHBOARD_SMPP_RECEIPT_TTL_SECONDS', kind: 'int', def: 259_200, min: 1 },
  sessionLeaseMs: { env: 'SWITCHBOARD_SESSION_LEASE_MS', kind: 'int', def: 15_000, min: 300 },
  shutdownTimeoutMs: { env: 'SWITCHBOARD_SHUTDOWN_TIMEOUT_MS', kind: 'int', def: 30_000, min: 100 },
  shutdownDrainMs: { env: 'SWITCHBOARD_SHUTDOWN_DRAIN_MS', kind: 'int', def: 1_000, min: 0 },
  sharedSyncMs: { env: 'SWITCHBOARD_SHARED_SYNC_MS', kind: 'int', def: 250, min: 10, max: 1_000 },
} as const satisfies Record<string, Field>;

type Schema = typeof SCHEMA;
type ValueOf<F extends Field> = F['kind'] extends 'int' | 'number' ? number
  : F['kind'] extends 'bool' ? boolean
  : F['kind'] extends 'list' ? readonly string[]
  : F['kind'] extends 'role' ? Role
  : F extends { values: readonly (infer V)[] } ? V
  : string;

export type Role = 'all' | 'api' | 'worker';
export type Config = { readonly [K in keyof Schema]: ValueOf<Schema[K]> };

export class ConfigError extends Error {}

function coerce(key: string, f: Field, raw: unknown): unknown {
  const where = `${key} (env ${f.env})`;
  const text = typeof raw === 'string' ? raw.trim() : raw;
  switch (f.kind) {
    case 'string':
      if (f.values && !f.values.includes(String(text))) throw new ConfigError(`${where} must be ${f.values.slice(0, -1).join(', ')} or ${f.values.at(-1)}, got ${JSON.stringify(raw)}`);
      return String(text);
    case 'role':
      if (text === 'all' || text === 'api' || text === 'worker') return text;
      throw new ConfigError(`${where} must be all, api or worker, got ${JSON.stringify(raw)}`);
    case 'bool':
      if (text === true || text === 'true' || text === '1') return true;
      if (text === false || text === 'false' || text === '0' || text === '') return false;
      throw new ConfigError(`${where} must be true or false, got ${JSON.stringify(raw)}`);
    case 'list':
      if (Array.isArray(text)) return text.map(String);
      return String(text).split(',').map((s) => s.trim()).filter(Boolean);
    case 'int':
    case 'number': {
      const n = typeof text === 'number' ? text : Number(text);
      if (text === '' || !Number.isFinite(n) || (f.kind === 'int' && !Number.isInteger(n))) {
        throw new ConfigError(`${where} must be ${f.kind === 'int' ? 'an integer' : 'a number'}, got ${JSON.stringify(raw)}`);
      }
      if (f.min !== undefined && n < f.min) throw new ConfigError(`${where} must be >= ${f.min}, got ${n}`);
      if (f.max !== undefined && n > f.max) throw new ConfigError(`${where} must be <= ${f.max}, got ${n}`);
      return n;
    }
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Record<keyof Schema, unknown>> = {}): Config {
  let file: Record<string, unknown> = {};
  if (env.SWITCHBOARD_CONFIG) {
    try {
      file = JSON.parse(readFileSync(env.SWITCHBOARD_CONFIG, 'utf8'));
    } catch (err) {
      throw new ConfigError(`cannot read config file ${env.SWITCHBOARD_CONFIG} (env SWITCHBOARD_CONFIG): ${(err as Error).message}`);
    }
    for (const k of Object.keys(file)) {
      if (!(k in SCHEMA)) throw new ConfigError(`unknown key ${JSON.stringify(k)} in ${env.SWITCHBOARD_CONFIG}; known keys: ${Object.keys(SCHEMA).join(', ')}`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, f] of Object.entries(SCHEMA) as [string, Field][]) {
    const fromOverride = (overrides as Record<string, unknown>)[key];
    const raw = fromOverride !== undefined ? fromOverride : env[f.env] !== undefined ? env[f.env] : key in file ? file[key] : f.def;
    out[key] = coerce(key, f, raw);
  }
  for (const u of out.eventSinks as string[]) {
    if (!/^(nats|amqps?|rediss?):\/\/[^/]/.test(u)) throw new ConfigError(`eventSinks (env SWITCHBOARD_EVENT_SINKS) takes nats://, amqp:// and redis:// URLs, got ${JSON.stringify(redactUrl(u))}`);
  }
  regionMapOf(out as Pick<Config, 'regions' | 'regionCountries' | 'workerRegions'>);
  trustProxyOption(out as Pick<Config, 'trustProxy'>); // a malformed value stops the start, not the first request
  if (!out.publicUrl) out.publicUrl = `http://localhost:${out.port}`;
  out.publicUrl = String(out.publicUrl).replace(/\/+$/, '');
  out.dataDir = resolve(String(out.dataDir));
  return Object.freeze(out) as Config;
}

/** The regions (SWITCHBOARD_REGIONS, SWITCHBOARD_REGION_COUNTRIES), checked; null without them. */
export function regionMapOf(config: Pick<Config, 'regions' | 'regionCountries' | 'workerRegions'>): RegionMap | null {
  let map: RegionMap | null;
  try {
    map = parseRegionMap(config.regions, config.regionCountries);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const unknown = config.workerRegions.filter((w) => !map?.regions.some((r) => r.name === w));
  if (unknown.length > 0) throw new ConfigError(`workerRegions (env SWITCHBOARD_WORKER_REGIONS, serve --region) names ${unknown.join(', ')}, not in SWITCHBOARD_REGIONS`);
  return map;
}

/** SWITCHBOARD_TRUST_PROXY as Fastify's trustProxy: false, the nearest `n` hops, or addresses and CIDRs. */
export function trustProxyOption(config: Pick<Config, 'trustProxy'>): false | string[] | ((address: string, hop: number) => boolean) {
  const v = config.trustProxy.trim();
  if (v === '' || v === 'off' || v === 'false') return false;
  if (/^\d+$/.test(v) && Number(v) >= 1) { const hops = Number(v); return (_address, hop) => hop < hops; }
  const list = v.split(',').map((x) => x.trim()).filter(Boolean);
  const bad = list.filter((x) => { const [ip, bits, more] = x.split('/'); const family = isIP(ip); return family === 0 || more !== undefined || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128))); });
  if (bad.length > 0 || list.length === 0) throw new ConfigError(`trustProxy (env SWITCHBOARD_TRUST_PROXY) must be off, a hop count, or addresses and CIDRs (10.0.0.0/8,::1), got ${JSON.stringify(config.trustProxy)}`);
  return list;
}

/**
 * Why this server must not start: it listens beyond this machine (HOST is not loopback)
 * and takes a short, guessable admin key; null when it may. The key itself is never shown.
 */
export function weakAdminKey(config: Pick<Config, 'host' | 'adminKey'>): string | null {
  const loopback = config.host === 'localhost' || config.host === '::1' || config.host.startsWith('127.');
  if (loopback || config.adminKey === '' || config.adminKey.length >= 24) return null;
  return `SWITCHBOARD_ADMIN_KEY has ${config.adminKey.length} characters and HOST=${config.host} listens beyond this machine: use a key of at least 24 characters (openssl rand -hex 16 makes one), or HOST=127.0.0.1 to listen on this machine only`;
}

/** Whether the implicit simulator may serve when no provider is configured (SWITCHBOARD_SIMULATOR). */
export function simulatorAllowed(config: Pick<Config, 'simulator'>, dialect: 'sqlite' | 'postgres'): boolean {
  return config.simulator === 'auto' ? dialect === 'sqlite' : config.simulator === 'on';
}

/** Every environment variable this schema reads: Switchboard's own settings, never a provider credential. */
export const CONFIG_ENV_NAMES: ReadonlySet<string> = new Set([...Object.values(SCHEMA).map((f) => f.env), 'SWITCHBOARD_CONFIG']);

/** The config with secrets masked, for logs and `switchboard config`. */
export function describeConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, f] of Object.entries(SCHEMA) as [string, Field][]) {
    const v = (config as Record<string, unknown>)[key];
    out[key] = f.secret && v ? '(set)' : key === 'databaseUrl' || key === 'redisUrl' ? redactUrl(String(v)) : key === 'regions' ? String(v).split(',').map((p) => p.replace(/=(.+)$/, (_m, u: string) => `=${redactUrl(u)}`)).join(',') : key === 'eventSinks' ? (v as string[]).map(redactUrl) : v;
  }
  return out;
}

export function redactUrl(u: string): string {
  if (!u) return u;
  try { const url = new URL(u); if (url.password) url.password = '***'; return url.toString(); } catch { return '(invalid url)'; }
}
