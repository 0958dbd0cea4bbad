// The provider port (DESIGN.md §3). An adapter turns one canonical request into one
// provider call (or one per part) and back, and classifies every failure; routing,
// retries, failover and bookkeeping never know which provider they talk to. Optional
// capabilities (`respond`, `fetchStatus`, `start`/`close`) are asked for, not assumed.
//
// Glossary
// - module: one provider kind, self-describing ({ kind, validate, create }); every
//   module is registered from one list (modules.ts), and nothing outside
//   providers/<kind>/ knows a kind by name.
// - part: what the provider gave its own id to. One part for Twilio (it splits and
//   joins segments itself); one per segment for Vonage and SMPP. Receipts name a part.
import type { MessageStatus } from '../domain/status.ts';
import type { Encoding } from '../domain/encoding.ts';
import type { Config } from '../config.ts';
import type { FailureKind, MessageErrorCode } from '../domain/message-errors.ts';

export type { FailureKind, MessageErrorCode };

/** A failed send: its class, the catalog code (domain/message-errors.ts) and the provider's own code. */
export interface SendFailure {
  kind: FailureKind; code: MessageErrorCode; message: string; providerCode?: string; retryAfterMs?: number;
  /** the provider's code is not in the adapter's table (classified by HTTP status): counted, so new codes get noticed */
  unmapped?: boolean;
}

/** One part the provider accepted: its index in the message (0-based) and the provider's id for it. */
export interface SentPart { index: number; providerMessageId: string }

export type SendOutcome =
  | { ok: true; parts: SentPart[]; segments?: number; price?: string }
  | { ok: false; error: SendFailure };

export interface SendRequest {
  /** our message id; also the idempotency key where the provider supports one */
  messageId: string;
  attempt: number;
  to: string;
  from: string;
  body: string;
  encoding: Encoding;
  segments: number;
  /** seconds the provider may keep trying, when the caller set a validity period */
  validitySeconds?: number;
  /** where the provider should post delivery receipts */
  statusCallbackUrl: string;
  /** 'voice': a text-to-speech call of `body` instead of a text (providers whose module lists the channel) */
  channel?: 'sms' | 'voice';
  voice?: { voice?: string; language?: string };
}

/** Named leases, held by one process at a time (routing/leases.ts over Redis). */
export interface SessionLeases {
  /** takes or renews `name` for `ttlMs`; false while another process holds it; rejects when it cannot tell */
  acquire(name: string, ttlMs: number): Promise<boolean>;
  release(name: string): Promise<void>;
  /** how long a lease lasts (renewed at a third of it) */
  readonly ttlMs: number;
}

/** One long-lived session (an SMPP bind): its state, sends in flight and totals so far. */
export interface SessionStats { session: string; up: boolean; state: string; inflight: number; submitted: number; throttled: number; latencyMsTotal: number }

/** A search for numbers to buy. */
export interface NumberQuery { country: string; areaCode?: string; contains?: string; sms?: boolean; voice?: boolean; limit?: number }
export interface AvailableNumber { number: string; capabilities: string[]; region?: string; locality?: string }
/** Where a number's webhooks should point. */
export interface NumberHooks { inbound: string; status: string }
/** A number the provider account owns, as the provider has it configured. */
export interface OwnedNumber { number: string; providerRef: string; inboundUrl: string | null; statusUrl: string | null; capabilities: string[] }

/** What a crash-window lookup asks about: our message, its recipient and when it was first sent at the earliest. */
export interface SentLookup { messageId: string; to: string; since: number }

/** A send the provider already holds: its parts and the sender it went from. */
export interface FoundSend { parts: SentPart[]; from?: string }

/** A provider callback exactly as received. */
export interface RawWebhook {
  id: string;
  providerId: string;
  kind: 'status' | 'inbound';
  /** the public URL the provider called (signatures are computed over it) */
  url: string;
  headers: Record<string, string>;
  body: string;
  receivedAt: number;
}

/** A provider's webhook request as it reached us, for signature checks and the answer. */
export interface WebhookRequest {
  kind: 'status' | 'inbound';
  method: string;
  /** the public URL the provider called (signatures are computed over it) */
  url: string;
  /** every header, names lower-cased */
  headers: Record<string, string>;
  body: string;
}

/** What to answer a provider's webhook request with. */
export interface WebhookAnswer { status?: number; contentType: string; body: string }

export interface Receipt {
  /** the provider's id of the part this receipt is about */
  providerMessageId: string;
  /** our status it maps to, or null for a provider status with no equivalent */
  status: MessageStatus | null;
  providerStatus: string;
  /** the catalog code the provider's error maps to */
  errorCode?: MessageErrorCode;
  /** the provider's own error code */
  providerErrorCode?: string;
  errorMessage?: string;
  occurredAt?: number;
  /** the recipient's number (E.164), where the receipt names it: the region it is stored in when its message is not found yet */
  to?: string;
}

export interface InboundMessage {
  providerMessageId: string;
  /** one part of a long text that the provider delivers in parts: joined once all are here */
  concat?: { ref: string; part: number; total: number };
  from: string;
  to: string;
  body: string;
  receivedAt?: number;
}

/**
 * The adapter's core, which every provider kind has: send, and read what the provider
 * posts back (verify, answer, parse). What only some kinds can do is a capability
 * below, implemented whole or not at all, and discovered by the registry
 * (capabilities.ts): callers ask an entry's `capabilities`, never an optional method.
 */
export interface AdapterCore {
  readonly kind: string;
  send(req: SendRequest, signal: AbortSignal): Promise<SendOutcome>;
  /** whether a webhook request really comes from this provider (may fetch a signing certificate) */
  verify(req: WebhookRequest): Promise<boolean>;
  /** the answer to a verified webhook request (TwiML, an SNS handshake…); default: 200, empty */
  respond?(req: WebhookRequest): WebhookAnswer;
  /** pure: the receipts in a stored raw webhook */
  parseReceipts(raw: RawWebhook): Receipt[];
  /** pure: the inbound texts in a stored raw webhook */
  parseInbound(raw: RawWebhook): InboundMessage[];
  /** lets go of connections and sessions */
  close?(): Promise<void>;
}

/** Asks the provider for parts' current status (reconciliation): kinds with a status API. */
export interface StatusLookup {
  fetchStatus(providerMessageIds: string[], signal: AbortSignal): Promise<Receipt[]>;
}

/**
 * Whether the provider already holds a message, looked up by our own reference (the
 * message id sent with it): asked before resending a message whose earlier send was cut
 * off by a crash or shutdown. null = not there; throws when it cannot tell.
 */
export interface SendLookup {
  findSent(ref: SentLookup, signal: AbortSignal): Promise<FoundSend | null>;
}

/** Number provisioning, where the provider sells numbers. */
export interface NumberProvisioning {
  /** numbers for sale */
  searchNumbers(q: NumberQuery, signal: AbortSignal): Promise<AvailableNumber[]>;
  /** buys a number with its inbound and status webhooks pointed at Switchboard */
  buyNumber(number: string, hooks: NumberHooks, signal: AbortSignal): Promise<OwnedNumber>;
  /** how the provider has a number we own configured (null: not ours there) */
  ownedNumber(number: string, signal: AbortSignal): Promise<OwnedNumber | null>;
  /** points an owned number's webhooks at Switchboard again */
  updateNumberHooks(owned: OwnedNumber, hooks: NumberHooks, signal: AbortSignal): Promise<OwnedNumber>;
}

/** Long-lived sessions (SMPP binds): opened where messages are sent, the worker role. */
export interface Sessions {
  /** opens them */
  start(): Promise<void>;
  /** whether it can take a send now (a bind is up); false holds messages back, waiting, without counting against its health */
  ready(): boolean;
  /** each session's figures, for metrics */
  sessionStats(): SessionStats[];
}

/** What a carrier lookup says about a number (issue 28). */
export interface LookupResult {
  /** mobile, landline, voip or unknown (the provider's own type is in `providerType`) */
  lineType: 'mobile' | 'landline' | 'voip' | 'unknown';
  providerType: string | null;
  carrier: string | null;
  /** the network it is on now (after any port): MCC and MNC */
  mcc: string | null;
  mnc: string | null;
  /** true when the number was ported from another network; null when the provider does not say */
  ported: boolean | null;
  /** what the lookup cost, when the provider says or publishes it */
  price: string | null;
}

/** Looks a number up at the provider: its line type and current network (Twilio Lookup, Vonage Number Insight). */
export interface CarrierLookup {
  lookupNumber(number: string, signal: AbortSignal): Promise<LookupResult>;
}

/** An adapter as a provider module builds it: the core and any capabilities, each whole. */
export type ProviderAdapter = AdapterCore & Partial<StatusLookup & SendLookup & NumberProvisioning & Sessions & CarrierLookup>;

/** One provider kind: how its records are checked and its adapters built. */
export interface ProviderModule {
  readonly kind: string;
  /** problems with a record's config (empty when usable); secrets are never values */
  validate(config: Record<string, unknown>): string[];
  create(ctx: AdapterContext): ProviderAdapter;
  /** config keys whose names sound secret but that hold identifiers (Vonage's `api_key`) */
  readonly identifierKeys?: readonly string[];
  /** the sender used when a record's config names none (`config.from`) */
  readonly defaultFrom?: string;
  /** takes the compatibility route POST /sms/inbound (the relay Switchboard grew from took Twilio's webhook there) */
  readonly legacyInbound?: boolean;
  /** what it can carry (default: sms) */
  readonly channels?: readonly ('sms' | 'voice')[];
  /** the sender a record of this kind sends from when its config names no `from` (AWS: its origination identity) */
  readonly senderFrom?: (config: Record<string, unknown>) => string | undefined;
  /** sends nowhere (the built-in simulator): messages it carries say `simulated: true` */
  readonly simulated?: boolean;
  /** false: takes no webhooks over HTTP (SMPP: receipts and inbound texts arrive on its binds), so its record shows no webhook URLs */
  readonly httpWebhooks?: boolean;
}

/** What an adapter gets from Switchboard when it is built. */
export interface AdapterContext {
  providerId: string;
  config: Record<string, unknown>;
  /** resolves a secret from the environment variable a record names */
  secret(envName: string): string | undefined;
  publicUrl: string;
  /** the server's settings (the simulator takes its defaults from them) */
  settings: Config;
  /**
   * Leases shared by every process (Redis): a session slot is opened only by the process
   * holding its lease, so a record's session count holds across processes. Absent: every
   * process opens every session.
   */
  leases?: SessionLeases;
  /** for what the adapter does on its own (sessions, reconnects): never given secrets */
  log?: { warn(o: object, msg: string): void; info(o: object, msg: string): void };
  /** hands a provider-originated webhook to the raw store, as if it had been posted to us */
  emitWebhook(w: { kind: 'status' | 'inbound'; body: string; headers?: Record<string, string>; processAfter?: number }): Promise<void>;
  /**
   * The provider refused the account outside a send (an SMPP bind refused for its
   * credentials: `refused` true), or took it again (false): the operator is alerted once
   * per episode (alert `provider_account:<id>`), and told when it is over.
   */
  accountState?(refused: boolean, detail: string): void;
}

/** The fallback for failures a provider's own table does not name, by HTTP status. */
export function classifyHttpFailure(status: number): { kind: FailureKind; code: MessageErrorCode } {
  if (status === 429) return { kind: 'throttled', code: 'throttled' };
  if (status >= 500 || status === 408) return { kind: 'transient', code: 'provider_error' };
  if (status === 401 || status === 403) return { kind: 'permanent', code: 'auth_failed' };
  return { kind: 'permanent', code: 'rejected' };
}

/** A send that threw: the provider did not answer in time, or the connection failed. */
export function classifyThrown(err: unknown): SendFailure {
  const e = err as { name?: string; code?: string; message?: string };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return { kind: 'transient', code: 'timeout', message: 'the provider did not answer in time' };
  return { kind: 'transient', code: 'network_error', message: e?.message ?? String(err), ...(e?.code ? { providerCode: e.code } : {}) };
}

export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
