// Twilio Programmable Messaging: Messages create (form-encoded, HTTP basic auth with the
// Account SID + auth token, or an API key SID + secret), over a keep-alive undici pool;
// Programmable Voice for text-to-speech calls (Calls create with inline TwiML).
// Config: { account_sid, auth_token_env, api_key_sid?, api_key_secret_env?,
//           messaging_service_sid?, from?, base_url?, lookup_base_url? }.
// Carrier lookups: Lookup v2 with Line Type Intelligence (lookup.ts), on its own host.
import { Pool } from 'undici';
import type { AdapterContext, AvailableNumber, InboundMessage, LookupResult, NumberHooks, NumberQuery, OwnedNumber, ProviderAdapter, ProviderModule, RawWebhook, Receipt, SendOutcome, SendRequest, WebhookRequest } from '../provider.ts';
import { parseRetryAfter } from '../provider.ts';
import { classifyTwilio } from './errors.ts';
import { twilioInbound, twilioMessageResource, twilioReceipts } from './receipts.ts';
import { verifyTwilioSignature } from './signature.ts';
import { twilioLookup } from './lookup.ts';

export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />';

interface TwilioConfig {
  account_sid: string;
  auth_token_env?: string;
  api_key_sid?: string;
  api_key_secret_env?: string;
  messaging_service_sid?: string;
  base_url?: string;
  lookup_base_url?: string;
}

export function validateTwilioConfig(c: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (typeof c.account_sid !== 'string' || !/^AC[0-9a-fA-F]{32}$/.test(c.account_sid)) problems.push('config.account_sid must match ^AC[0-9a-fA-F]{32}$');
  if (typeof c.auth_token_env !== 'string') problems.push('config.auth_token_env must name the environment variable holding the auth token');
  if (c.api_key_sid !== undefined && typeof c.api_key_secret_env !== 'string') problems.push('config.api_key_secret_env is required with api_key_sid');
  return problems;
}

export function createTwilio(ctx: AdapterContext): ProviderAdapter {
  const c = ctx.config as unknown as TwilioConfig;
  const base = new URL(c.base_url ?? 'https://api.twilio.com');
  const pool = new Pool(base.origin, { connections: 32, keepAliveTimeout: 30_000 });
  const lookupBase = new URL(c.lookup_base_url ?? 'https://lookups.twilio.com');
  let lookups: Pool | null = null;
  const accountPath = `${base.pathname.replace(/\/$/, '')}/2010-04-01/Accounts/${c.account_sid}`;
  const path = `${accountPath}/Messages.json`;
  const token = () => (c.auth_token_env ? ctx.secret(c.auth_token_env) : undefined) ?? '';
  const authorization = () => {
    const user = c.api_key_sid ?? c.account_sid;
    const pass = c.api_key_sid ? ctx.secret(c.api_key_secret_env ?? '') ?? '' : token();
    return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  };

  return {
    kind: 'twilio',

    async send(req: SendRequest, signal: AbortSignal): Promise<SendOutcome> {
      if (req.channel === 'voice') return call(req, signal);
      const form = new URLSearchParams({ To: req.to, Body: req.body, StatusCallback: req.statusCallbackUrl });
      if (c.messaging_service_sid && !req.from.startsWith('+')) form.set('MessagingServiceSid', c.messaging_service_sid);
      else form.set('From', req.from);
      if (req.validitySeconds) form.set('ValidityPeriod', String(Math.min(36_000, Math.max(1, req.validitySeconds))));
      const res = await pool.request({
        path, method: 'POST', signal,
        headers: { authorization: authorization(), 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
      });
      const text = await res.body.text();
      let json: Record<string, unknown> = {};
      try { json = JSON.parse(text); } catch { /* an HTML error page from a proxy, say */ }
      if (res.statusCode >= 200 && res.statusCode < 300 && typeof json.sid === 'string') {
        const segments = Number(json.num_segments);
        // Twilio splits and joins the segments itself: one part, one SID.
        return { ok: true, parts: [{ index: 0, providerMessageId: json.sid }], segments: Number.isFinite(segments) && segments > 0 ? segments : undefined };
      }
      const code = typeof json.code === 'number' ? json.code : undefined;
      const { kind, code: catalogCode, known } = classifyTwilio(res.statusCode, code);
      const retryAfter = res.headers['retry-after'];
      return {
        ok: false,
        error: {
          kind,
          code: catalogCode,
          providerCode: code !== undefined ? String(code) : `http_${res.statusCode}`,
          message: typeof json.message === 'string' ? json.message : `Twilio answered HTTP ${res.statusCode}`,
          retryAfterMs: kind === 'throttled' ? parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter) : undefined,
          ...(known ? {} : { unmapped: true }),
        },
      };
    },

    parseReceipts(raw: RawWebhook): Receipt[] { return twilioReceipts(raw.body); },

    // Messages fetch, one request a SID (Twilio has no batch read). A SID Twilio no longer
    // knows (404) or a failed request yields no receipt: reconciliation asks again later.
    async fetchStatus(ids: string[], signal: AbortSignal): Promise<Receipt[]> {
      const out: Receipt[] = [];
      for (const sid of ids) {
        const res = await pool.request({ path: path.replace(/\.json$/, `/${encodeURIComponent(sid)}.json`), method: 'GET', signal, headers: { authorization: authorization(), accept: 'application/json' } });
        const text = await res.body.text();
        if (res.statusCode !== 200) continue;
        try { out.push(twilioMessageResource(JSON.parse(text))); } catch { /* not a Message resource */ }
      }
      return out;
    },
    parseInbound(raw: RawWebhook): InboundMessage[] { return twilioInbound(raw.body); },

    async verify(req: WebhookRequest): Promise<boolean> {
      return verifyTwilioSignature(token(), req.url, req.body, req.headers['content-type'] ?? '', req.headers['x-twilio-signature']);
    },

    respond(req: WebhookRequest) {
      return req.kind === 'inbound' ? { contentType: 'text/xml', body: EMPTY_TWIML } : { contentType: 'text/plain', body: '' };
    },

    // Number provisioning: AvailablePhoneNumbers (Local) and IncomingPhoneNumbers; a number
    // bought or fixed here has its SmsUrl (inbound texts) and StatusCallback pointed at us.
    async searchNumbers(q: NumberQuery, signal: AbortSignal): Promise<AvailableNumber[]> {
      const params = new URLSearchParams({ PageSize: String(q.limit ?? 20) });
      if (q.areaCode) params.set('AreaCode', q.areaCode);
      if (q.contains) params.set('Contains', q.contains);
      if (q.sms) params.set('SmsEnabled', 'true');
      if (q.voice) params.set('VoiceEnabled', 'true');
      const json = await api('GET', `/AvailablePhoneNumbers/${encodeURIComponent(q.country.toUpperCase())}/Local.json?${params}`, undefined, signal);
      return ((json.available_phone_numbers ?? []) as Record<string, unknown>[]).map((n) => ({
        number: String(n.phone_number), capabilities: caps(n.capabilities), ...(n.region ? { region: String(n.region) } : {}), ...(n.locality ? { locality: String(n.locality) } : {}),
      }));
    },

    async buyNumber(number: string, hooks: NumberHooks, signal: AbortSignal): Promise<OwnedNumber> {
      const json = await api('POST', '/IncomingPhoneNumbers.json', new URLSearchParams({ PhoneNumber: number, SmsUrl: hooks.inbound, SmsMethod: 'POST', StatusCallback: hooks.status, StatusCallbackMethod: 'POST' }), signal);
      return owned(json);
    },

    async ownedNumber(number: string, signal: AbortSignal): Promise<OwnedNumber | null> {
      const json = await api('GET', `/IncomingPhoneNumbers.json?${new URLSearchParams({ PhoneNumber: number })}`, undefined, signal);
      const hit = ((json.incoming_phone_numbers ?? []) as Record<string, unknown>[]).find((n) => n.phone_number === number);
      return hit ? owned(hit) : null;
    },

    async updateNumberHooks(o: OwnedNumber, hooks: NumberHooks, signal: AbortSignal): Promise<OwnedNumber> {
      const json = await api('POST', `/IncomingPhoneNumbers/${encodeURIComponent(o.providerRef)}.json`, new URLSearchParams({ SmsUrl: hooks.inbound, SmsMethod: 'POST', StatusCallback: hooks.status, StatusCallbackMethod: 'POST' }), signal);
      return owned(json);
    },

    async close() { await pool.close(); await lookups?.close(); },

    async lookupNumber(number: string, signal: AbortSignal): Promise<LookupResult> {
      lookups ??= new Pool(lookupBase.origin, { connections: 4, keepAliveTimeout: 30_000 });
      const res = await lookups.request({
        path: `${lookupBase.pathname.replace(/\/$/, '')}/v2/PhoneNumbers/${encodeURIComponent(number)}?Fields=line_type_intelligence`, method: 'GET', signal,
        headers: { authorization: authorization(), accept: 'application/json' },
      });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`Twilio Lookup answered HTTP ${res.statusCode}`);
      return twilioLookup(JSON.parse(text));
    },
  };

  /**
   * A text-to-speech call (Calls create with inline TwiML <Say>); its status callbacks
   * (initiated, ringing, answered, completed; busy, no-answer, failed, canceled) come to
   * the same status URL as message receipts and are signed the same way.
   */
  async function call(req: SendRequest, signal: AbortSignal): Promise<SendOutcome> {
    const attrs = [req.voice?.voice ? ` voice="${xml(req.voice.voice)}"` : '', req.voice?.language ? ` language="${xml(req.voice.language)}"` : ''].join('');
    const form = new URLSearchParams({ To: req.to, From: req.from, Twiml: `<Response><Say${attrs}>${xml(req.body)}</Say></Response>`, StatusCallback: req.statusCallbackUrl, StatusCallbackMethod: 'POST' });
    for (const e of ['initiated', 'ringing', 'answered', 'completed']) form.append('StatusCallbackEvent', e);
    const res = await pool.request({
      path: `${accountPath}/Calls.json`, method: 'POST', signal,
      headers: { authorization: authorization(), 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
    });
    const text = await res.body.text();
    let json: Record<string, unknown> = {};
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    if (res.statusCode >= 200 && res.statusCode < 300 && typeof json.sid === 'string') return { ok: true, parts: [{ index: 0, providerMessageId: json.sid }] };
    const code = typeof json.code === 'number' ? json.code : undefined;
    const { kind, code: catalogCode, known } = classifyTwilio(res.statusCode, code);
    return { ok: false, error: { kind, code: catalogCode, providerCode: code !== undefined ? String(code) : `http_${res.statusCode}`, message: typeof json.message === 'string' ? json.message : `Twilio answered HTTP ${res.statusCode}`, ...(known ? {} : { unmapped: true }) } };
  }

  /** One call to the account's REST API; a non-2xx answer throws with Twilio's message. */
  async function api(method: 'GET' | 'POST', rel: string, form: URLSearchParams | undefined, signal: AbortSignal): Promise<Record<string, unknown>> {
    const res = await pool.request({
      path: `${accountPath}${rel}`, method, signal,
      headers: { authorization: authorization(), accept: 'application/json', ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: form?.toString(),
    });
    const text = await res.body.text();
    let json: Record<string, unknown> = {};
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`Twilio answered HTTP ${res.statusCode}${typeof json.message === 'string' ? `: ${json.message}` : ''}`);
    return json;
  }
}

const xml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

function caps(c: unknown): string[] {
  const o = (c ?? {}) as Record<string, unknown>;
  return [o.SMS ?? o.sms ? 'sms' : null, o.voice ?? o.Voice ? 'voice' : null, o.MMS ?? o.mms ? 'mms' : null].filter((x): x is string => x !== null);
}

function owned(n: Record<string, unknown>): OwnedNumber {
  return {
    number: String(n.phone_number), providerRef: String(n.sid), capabilities: caps(n.capabilities),
    inboundUrl: typeof n.sms_url === 'string' && n.sms_url ? n.sms_url : null, statusUrl: typeof n.status_callback === 'string' && n.status_callback ? n.status_callback : null,
  };
}

export const twilio: ProviderModule = { kind: 'twilio', validate: validateTwilioConfig, create: createTwilio, legacyInbound: true, channels: ['sms', 'voice'] };
