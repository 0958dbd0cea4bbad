// Vonage SMS API (domain.md §3): POST /sms/json, form-encoded, authenticated with the
// API secret or by signing the request with the signature secret. A long text is split
// by Vonage, which answers one entry per part, each with its own message-id: every part
// is recorded, and each part's delivery receipt moves that part. Webhooks (receipts and
// inbound) must be signed with the signature secret: an unsigned one is refused.
// Config: { api_key, signature_secret_env, signature_method?: md5hash|md5|sha1|sha256|sha512
//           (as set in the Vonage dashboard; default md5hash), api_secret_env?, from?, base_url?,
//           insight_base_url? }. Carrier lookups: Number Insight Standard (lookup.ts).
import { Pool } from 'undici';
import { vonageInsight } from './lookup.ts';
import type { AdapterContext, InboundMessage, LookupResult, ProviderAdapter, ProviderModule, RawWebhook, Receipt, SendOutcome, SendRequest, WebhookRequest } from '../provider.ts';
import { classifyHttpFailure, parseRetryAfter } from '../provider.ts';
import { classifyVonageStatus } from './errors.ts';
import { vonageInbound, vonageParams, vonageReceipts } from './receipts.ts';
import { VONAGE_SIGNATURE_METHODS, verifyVonageSignature, vonageSignature, type VonageSignatureMethod } from './signature.ts';

interface VonageConfig { api_key: string; api_secret_env?: string; signature_secret_env: string; signature_method?: VonageSignatureMethod; base_url?: string; insight_base_url?: string }

const TTL_MIN_MS = 20_000;
const TTL_MAX_MS = 604_800_000;

export function validateVonageConfig(c: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (typeof c.api_key !== 'string' || !/^[A-Za-z0-9]{6,16}$/.test(c.api_key)) problems.push('config.api_key must be your Vonage API key');
  if (typeof c.signature_secret_env !== 'string') problems.push('config.signature_secret_env must name the environment variable holding the signature secret (Vonage webhooks are checked with it)');
  if (c.api_secret_env !== undefined && typeof c.api_secret_env !== 'string') problems.push('config.api_secret_env must name an environment variable');
  if (c.signature_method !== undefined && !VONAGE_SIGNATURE_METHODS.includes(c.signature_method as VonageSignatureMethod)) problems.push(`config.signature_method must be one of ${VONAGE_SIGNATURE_METHODS.join(', ')}`);
  if (c.base_url !== undefined && (typeof c.base_url !== 'string' || !/^https?:\/\/[^/]+/.test(c.base_url))) problems.push('config.base_url must be an http(s) URL');
  return problems;
}

/** Vonage takes numbers as digits without the `+`; an alphanumeric sender as it is. */
const bare = (n: string) => n.replace(/^\+/, '');

export function createVonage(ctx: AdapterContext): ProviderAdapter {
  const c = ctx.config as unknown as VonageConfig;
  const base = new URL(c.base_url ?? 'https://rest.nexmo.com');
  const pool = new Pool(base.origin, { connections: 32, keepAliveTimeout: 30_000 });
  const path = `${base.pathname.replace(/\/$/, '')}/sms/json`;
  const method = c.signature_method ?? 'md5hash';
  const signatureSecret = () => ctx.secret(c.signature_secret_env) ?? '';
  const insightBase = new URL(c.insight_base_url ?? 'https://api.nexmo.com');
  let insight: Pool | null = null;

  /** The request's credentials: the API secret if configured, else a signature over the parameters. */
  function authenticate(params: Record<string, string>): Record<string, string> {
    const apiSecret = c.api_secret_env ? ctx.secret(c.api_secret_env) : undefined;
    if (apiSecret) return { ...params, api_secret: apiSecret };
    const signed = { ...params, timestamp: String(Math.floor(Date.now() / 1000)) };
    return { ...signed, sig: vonageSignature(signed, signatureSecret(), method) };
  }

  return {
    kind: 'vonage',

    async send(req: SendRequest, signal: AbortSignal): Promise<SendOutcome> {
      const params: Record<string, string> = {
        api_key: c.api_key, from: bare(req.from), to: bare(req.to), text: req.body, type: req.encoding === 'UCS-2' ? 'unicode' : 'text',
        'status-report-req': '1', callback: req.statusCallbackUrl, 'client-ref': req.messageId,
      };
      if (req.validitySeconds) params.ttl = String(Math.min(TTL_MAX_MS, Math.max(TTL_MIN_MS, req.validitySeconds * 1000)));
      const res = await pool.request({
        path, method: 'POST', signal,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams(authenticate(params)).toString(),
      });
      const text = await res.body.text();
      if (res.statusCode !== 200) {
        const { kind, code } = classifyHttpFailure(res.statusCode);
        const retryAfter = res.headers['retry-after'];
        return { ok: false, error: { kind, code, providerCode: `http_${res.statusCode}`, message: `Vonage answered HTTP ${res.statusCode}`, retryAfterMs: kind === 'throttled' ? parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter) : undefined } };
      }
      let json: { messages?: { status?: string; 'message-id'?: string; 'error-text'?: string }[] } = {};
      try { json = JSON.parse(text); } catch { /* below: no parts */ }
      const parts = json.messages ?? [];
      // Vonage answers 200 whatever happened; each part says whether it was accepted. Any
      // refused part fails the send (a partial send cannot be completed later).
      const refused = parts.find((p) => p.status !== '0');
      if (refused || parts.length === 0) {
        const status = refused?.status ?? '5';
        const { kind, code, known } = classifyVonageStatus(status);
        return { ok: false, error: { kind, code, providerCode: status, message: refused?.['error-text'] ?? 'Vonage answered without parts', ...(known ? {} : { unmapped: true }) } };
      }
      return { ok: true, parts: parts.map((p, index) => ({ index, providerMessageId: String(p['message-id']) })), segments: parts.length };
    },

    async verify(req: WebhookRequest): Promise<boolean> {
      let params: Record<string, string>;
      try { params = vonageParams(req); } catch { return false; }
      return verifyVonageSignature(params, signatureSecret(), method);
    },

    parseReceipts(raw: RawWebhook): Receipt[] { return vonageReceipts(vonageParams(raw)); },
    parseInbound(raw: RawWebhook): InboundMessage[] { return vonageInbound(vonageParams(raw)); },

    async close() { await pool.close(); await insight?.close(); },

    async lookupNumber(number: string, signal: AbortSignal): Promise<LookupResult> {
      insight ??= new Pool(insightBase.origin, { connections: 4, keepAliveTimeout: 30_000 });
      const query = new URLSearchParams(authenticate({ api_key: c.api_key, number: bare(number) }));
      const res = await insight.request({ path: `${insightBase.pathname.replace(/\/$/, '')}/ni/standard/json?${query}`, method: 'GET', signal, headers: { accept: 'application/json' } });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`Vonage Number Insight answered HTTP ${res.statusCode}`);
      return vonageInsight(JSON.parse(text));
    },
  };
}

export const vonage: ProviderModule = { kind: 'vonage', validate: validateVonageConfig, create: createVonage, identifierKeys: ['api_key'] };
