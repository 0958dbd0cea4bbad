// The provider port (DESIGN.md §3). An adapter turns one canonical request into one
// provider call and back, and classifies every failure; routing, retries, failover and
// bookkeeping never know which provider they talk to.
import type { MessageStatus } from '../domain/status.ts';
import type { Encoding } from '../domain/encoding.ts';

export type FailureKind = 'transient' | 'throttled' | 'permanent';

export interface SendFailure { kind: FailureKind; code: string; message: string; retryAfterMs?: number }

export type SendOutcome =
  | { ok: true; providerMessageId: string; segments?: number; price?: string }
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
}

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

export interface Receipt {
  providerMessageId: string;
  /** our status it maps to, or null for a provider status with no equivalent */
  status: MessageStatus | null;
  providerStatus: string;
  errorCode?: string;
  errorMessage?: string;
  occurredAt?: number;
}

export interface InboundMessage {
  providerMessageId: string;
  from: string;
  to: string;
  body: string;
  receivedAt?: number;
}

export interface ProviderAdapter {
  readonly kind: string;
  send(req: SendRequest, signal: AbortSignal): Promise<SendOutcome>;
  parseReceipts(raw: RawWebhook): Receipt[];
  parseInbound(raw: RawWebhook): InboundMessage[];
  verifySignature(raw: RawWebhook): boolean;
  /** what to answer the provider's webhook request with (default: 200, empty) */
  webhookResponse?(kind: 'status' | 'inbound'): { contentType: string; body: string };
  close?(): Promise<void>;
}

/** What an adapter gets from Switchboard when it is built. */
export interface AdapterContext {
  providerId: string;
  config: Record<string, unknown>;
  /** resolves a secret from the environment variable a record names */
  secret(envName: string): string | undefined;
  publicUrl: string;
  /** hands a provider-originated webhook to the raw store, as if it had been posted to us */
  emitWebhook(w: { kind: 'status' | 'inbound'; body: string; headers?: Record<string, string>; processAfter?: number }): Promise<void>;
}

export type AdapterFactory = (ctx: AdapterContext) => ProviderAdapter;

/** The fallback classification for failures a provider's own table does not name. */
export function classifyHttpFailure(status: number): FailureKind {
  if (status === 429) return 'throttled';
  if (status >= 500 || status === 408) return 'transient';
  return 'permanent';
}

export function classifyThrown(err: unknown): SendFailure {
  const e = err as { name?: string; code?: string; message?: string };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return { kind: 'transient', code: 'timeout', message: 'the provider did not answer in time' };
  return { kind: 'transient', code: e?.code ?? 'network_error', message: e?.message ?? String(err) };
}

export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
