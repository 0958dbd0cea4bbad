// Sinch SMS REST API (domain.md §5): one batch per message, POST
// /xms/v1/{service_plan_id}/batches with a Bearer token, per-recipient delivery reports
// to our status URL, our message id as client_reference. One recipient per batch, so the
// batch id is the message's one part. Delivery reports can also be fetched
// (reconciliation), and batches found by client_reference (the crash-window check). Callbacks must carry the Basic credentials the Sinch account is
// provisioned with (signature.ts).
// Config: { service_plan_id, api_token_env, callback_username, callback_password_env,
//           region?: us|eu|au|br|ca (default us), base_url?, from? }.
import { Pool } from 'undici';
import type { AdapterContext, FoundSend, InboundMessage, ProviderAdapter, ProviderModule, RawWebhook, Receipt, SendOutcome, SendRequest, SentLookup, WebhookRequest } from '../provider.ts';
import { parseRetryAfter } from '../provider.ts';
import { classifySinch } from './errors.ts';
import { sinchInbound, sinchReceipts } from './receipts.ts';
import { verifySinchCallback } from './signature.ts';

export const SINCH_REGIONS = ['us', 'eu', 'au', 'br', 'ca'] as const;

interface SinchConfig { service_plan_id: string; api_token_env: string; callback_username: string; callback_password_env: string; region?: string; base_url?: string }

export function validateSinchConfig(c: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (typeof c.service_plan_id !== 'string' || !/^[A-Za-z0-9]{8,64}$/.test(c.service_plan_id)) problems.push('config.service_plan_id must be your Sinch service plan id');
  if (typeof c.api_token_env !== 'string') problems.push('config.api_token_env must name the environment variable holding the API token');
  if (typeof c.callback_username !== 'string' || c.callback_username.length === 0) problems.push('config.callback_username must be the user Sinch authenticates its callbacks with');
  if (typeof c.callback_password_env !== 'string') problems.push('config.callback_password_env must name the environment variable holding the callback password');
  if (c.region !== undefined && !SINCH_REGIONS.includes(c.region as never)) problems.push(`config.region must be one of ${SINCH_REGIONS.join(', ')}`);
  if (c.base_url !== undefined && (typeof c.base_url !== 'string' || !/^https?:\/\/[^/]+/.test(c.base_url))) problems.push('config.base_url must be an http(s) URL');
  return problems;
}

export function createSinch(ctx: AdapterContext): ProviderAdapter {
  const c = ctx.config as unknown as SinchConfig;
  const base = new URL(c.base_url ?? `https://${c.region ?? 'us'}.sms.api.sinch.com`);
  const pool = new Pool(base.origin, { connections: 32, keepAliveTimeout: 30_000 });
  const batches = `${base.pathname.replace(/\/$/, '')}/xms/v1/${encodeURIComponent(c.service_plan_id)}/batches`;
  const headers = () => ({ authorization: `Bearer ${ctx.secret(c.api_token_env) ?? ''}`, 'content-type': 'application/json', accept: 'application/json' });

  return {
    kind: 'sinch',

    async send(req: SendRequest, signal: AbortSignal): Promise<SendOutcome> {
      const batch: Record<string, unknown> = {
        to: [req.to], from: req.from, body: req.body, type: 'mt_text', client_reference: req.messageId,
        callback_url: req.statusCallbackUrl, delivery_report: 'per_recipient',
      };
      if (req.validitySeconds) batch.expire_at = new Date(Date.now() + req.validitySeconds * 1000).toISOString();
      const res = await pool.request({ path: batches, method: 'POST', signal, headers: headers(), body: JSON.stringify(batch) });
      const text = await res.body.text();
      let json: Record<string, unknown> = {};
      try { json = JSON.parse(text); } catch { /* a proxy's error page */ }
      if ((res.statusCode === 200 || res.statusCode === 201) && typeof json.id === 'string') {
        return { ok: true, parts: [{ index: 0, providerMessageId: json.id }] };
      }
      const providerCode = typeof json.code === 'string' ? json.code : `http_${res.statusCode}`;
      const { kind, code, known } = classifySinch(res.statusCode, typeof json.code === 'string' ? json.code : undefined);
      const retryAfter = res.headers['retry-after'];
      return {
        ok: false,
        error: {
          kind, code, providerCode, message: typeof json.text === 'string' ? json.text : `Sinch answered HTTP ${res.statusCode}`,
          retryAfterMs: kind === 'throttled' ? parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter) : undefined,
          ...(known ? {} : { unmapped: true }),
        },
      };
    },

    async verify(req: WebhookRequest): Promise<boolean> {
      return verifySinchCallback(req.headers.authorization, c.callback_username, ctx.secret(c.callback_password_env) ?? '');
    },

    parseReceipts(raw: RawWebhook): Receipt[] { return sinchReceipts(raw.body); },
    parseInbound(raw: RawWebhook): InboundMessage[] { return sinchInbound(raw.body); },

    // The batch's delivery report, one request a batch. A batch Sinch does not know, or a
    // failed request, yields no receipt: reconciliation asks again later.
    async fetchStatus(ids: string[], signal: AbortSignal): Promise<Receipt[]> {
      const out: Receipt[] = [];
      for (const id of ids) {
        const res = await pool.request({ path: `${batches}/${encodeURIComponent(id)}/delivery_report?type=full`, method: 'GET', signal, headers: headers() });
        const text = await res.body.text();
        if (res.statusCode !== 200) continue;
        try { out.push(...sinchReceipts(text)); } catch { /* not a delivery report */ }
      }
      return out;
    },

    // Crash window: List batches filtered by our client_reference (the message id), from
    // a minute before the message was first claimed. A batch to this recipient that was
    // not canceled is the send that was cut off.
    async findSent(ref: SentLookup, signal: AbortSignal): Promise<FoundSend | null> {
      const q = new URLSearchParams({ client_reference: ref.messageId, start_date: new Date(ref.since - 60_000).toISOString(), page: '0', page_size: '10' });
      const res = await pool.request({ path: `${batches}?${q}`, method: 'GET', signal, headers: headers() });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`Sinch answered HTTP ${res.statusCode} to the batch lookup`);
      const list = JSON.parse(text) as { batches?: { id?: unknown; to?: unknown; from?: unknown; canceled?: unknown; client_reference?: unknown }[] };
      const want = ref.to.replace(/^\+/, '');
      const batch = (list.batches ?? []).find((b) => b.client_reference === ref.messageId && b.canceled !== true && typeof b.id === 'string'
        && Array.isArray(b.to) && b.to.some((r) => String(r).replace(/^\+|^00/, '') === want));
      if (!batch) return null;
      // Sinch returns numbers without `+`; a short code stays as it is.
      const from = typeof batch.from === 'string' ? (/^\d{8,15}$/.test(batch.from) ? `+${batch.from}` : batch.from) : undefined;
      return { parts: [{ index: 0, providerMessageId: batch.id as string }], ...(from ? { from } : {}) };
    },

    async close() { await pool.close(); },
  };
}

export const sinch: ProviderModule = { kind: 'sinch', validate: validateSinchConfig, create: createSinch };
