// A loopback Twilio that speaks the documented wire protocol (domain.md §2): Messages
// create with basic auth, form parameters and Twilio's JSON answers and error format,
// then status callbacks form-POSTed to StatusCallback and signed with X-Twilio-Signature
// exactly as Twilio signs them. Tests steer it: answer 5xx/429/an error code, hang, or
// deliver callbacks late, twice or out of order.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { LoopbackFake } from './loopback.ts';
import { twilioSignature } from '../providers/twilio/signature.ts';
import { basicAuthOk, json, rfc2822, twilioError } from './twilio-wire.ts';
import { handleLookup, handleNumbers } from './twilio-numbers.ts';
import type { InboundText, SandboxMessage } from './control.ts';

export const FAKE_ACCOUNT_SID = `AC${'0'.repeat(24)}fa4e0001`;
export const FAKE_AUTH_TOKEN = 'fake-twilio-token-for-tests';

export type Behaviour =
  | { kind: 'error'; status: number; code: number; message?: string; retryAfter?: string }
  | { kind: 'hang' };

export interface CallbackPlan {
  /** statuses posted after the create, in this order */
  statuses: string[];
  delayMs: number;
  /** post every callback twice */
  duplicate?: boolean;
  /** the statuses happen (a GET shows them) but no callback is posted: lost receipts */
  lost?: boolean;
  errorCode?: string;
}

export interface CreateRequest { form: URLSearchParams; authorization: string | undefined; sid: string | null; answer: Record<string, unknown>; at: number }


export class TwilioFake extends LoopbackFake {
  readonly requests: CreateRequest[] = [];
  readonly callbacksSent: { url: string; params: Record<string, string>; status: number }[] = [];
  readonly behaviours: Behaviour[] = [];
  /** answers every request this way (after the one-shot behaviours) until cleared: an outage */
  outage: Behaviour | null = null;
  plan: CallbackPlan = { statuses: ['sent', 'delivered'], delayMs: 5 };
  /** per destination (To): overrides `plan`, e.g. a handset that is switched off */
  readonly plans = new Map<string, CallbackPlan>();
  /** called after each accepted create: a test can play the handset (an auto-forwarding phone) */
  onMessage: ((m: { to: string; from: string; body: string }) => void) | null = null;
  readonly accountSid: string;
  readonly authToken: string;
  /** the SIDs looked up with GET, in order */
  readonly fetches: string[] = [];
  /** every message created: the Message resource as a GET would answer it now */
  readonly messages = new Map<string, Record<string, unknown>>();
  /** a slow provider: how long the answer to a create takes, after the message exists */
  latencyMs: () => number = () => 0;
  /** an unreliable one: the share of creates answered 503 (nothing created) */
  failureRate = 0;

  constructor(opts: { accountSid?: string; authToken?: string } = {}) {
    super();
    this.accountSid = opts.accountSid ?? FAKE_ACCOUNT_SID;
    this.authToken = opts.authToken ?? FAKE_AUTH_TOKEN;
  }



  /** Posts a signed inbound SMS webhook, as Twilio does, to `url`. */
  async sendInbound(url: string, p: { From: string; To: string; Body: string; MessageSid?: string }, tamper = false): Promise<Response> {
    const sid = p.MessageSid ?? `SM${randomBytes(16).toString('hex')}`;
    const params: Record<string, string> = {
      ToCountry: 'US', ToState: 'CA', SmsMessageSid: sid, NumMedia: '0', ToCity: 'SAN FRANCISCO', FromZip: '94105', SmsSid: sid,
      FromState: 'CA', SmsStatus: 'received', FromCity: 'SAN FRANCISCO', Body: p.Body, FromCountry: 'US', To: p.To, ToZip: '94105',
      NumSegments: '1', MessageSid: sid, AccountSid: this.accountSid, From: p.From, ApiVersion: '2010-04-01',
    };
    return this.postSigned(url, params, tamper);
  }

  /** A status callback for `sid` as Twilio would post it to `url`: signed headers and form body. */
  statusCallback(url: string, sid: string, status: string, errorCode?: string): { headers: Record<string, string>; body: string } {
    const params: Record<string, string> = { SmsSid: sid, SmsStatus: status, MessageStatus: status, MessageSid: sid, AccountSid: this.accountSid, ApiVersion: '2010-04-01' };
    if (errorCode) params.ErrorCode = errorCode;
    return this.#signed(url, params);
  }

  #signed(url: string, params: Record<string, string>, tamper = false): { headers: Record<string, string>; body: string } {
    const signature = twilioSignature(this.authToken, url, params);
    const body = new URLSearchParams(params);
    if (tamper) body.set('Body', (params.Body ?? '') + ' (edited)');
    return { headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature, 'user-agent': 'TwilioProxy/1.1' }, body: body.toString() };
  }

  async postSigned(url: string, params: Record<string, string>, tamper = false): Promise<Response> {
    const { headers, body } = this.#signed(url, params, tamper);
    return fetch(url, { method: 'POST', headers, body });
  }





  /** numbers for sale (AvailablePhoneNumbers), by country */
  readonly available = new Map<string, Record<string, unknown>[]>([['US', [
    { phone_number: '+14155550301', friendly_name: '(415) 555-0301', locality: 'San Francisco', region: 'CA', iso_country: 'US', capabilities: { voice: true, SMS: true, MMS: true } },
    { phone_number: '+14155550302', friendly_name: '(415) 555-0302', locality: 'San Francisco', region: 'CA', iso_country: 'US', capabilities: { voice: false, SMS: true, MMS: false } },
    { phone_number: '+12125550303', friendly_name: '(212) 555-0303', locality: 'New York', region: 'NY', iso_country: 'US', capabilities: { voice: true, SMS: true, MMS: true } },
  ]]]);
  /** the account's IncomingPhoneNumbers, by SID */
  readonly owned = new Map<string, Record<string, unknown>>();

  /** Lookup v2 (twilio-numbers.ts): each number's line_type_intelligence (unlisted: a mobile on 310/410), and every number asked */
  readonly lineTypes = new Map<string, Record<string, unknown> | 'fail'>();
  readonly lookups: string[] = [];

  /** every call placed (Calls create): its form and SID */
  readonly calls: { form: URLSearchParams; sid: string }[] = [];
  /** per destination: the call statuses reported after the create, in order (default: answered and completed) */
  readonly callPlans = new Map<string, string[]>();

  /** Calls create, with status callbacks (signed, form-encoded) to the call's StatusCallback. */
  #calls(req: IncomingMessage, res: ServerResponse, body: string): boolean {
    const m = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls\.json$/.exec(new URL(req.url ?? '/', 'http://fake').pathname);
    if (!m || req.method !== 'POST') return false;
    if (!basicAuthOk(req, m[1], this.accountSid, this.authToken)) { twilioError(res, 401, 20003, 'Authenticate'); return true; }
    const behaviour = this.behaviours.shift() ?? this.outage ?? undefined;
    if (behaviour?.kind === 'hang') { this.hanging.add(res); return true; }
    if (behaviour?.kind === 'error') { twilioError(res, behaviour.status, behaviour.code, behaviour.message ?? `simulated error ${behaviour.code}`); return true; }
    const form = new URLSearchParams(body);
    const to = form.get('To') ?? '';
    if (!/^\+[1-9]\d{1,14}$/.test(to)) { twilioError(res, 400, 21211, `The 'To' number ${to} is not a valid phone number.`); return true; }
    if (!form.get('From')) { twilioError(res, 400, 21212, "The 'From' number is required."); return true; }
    if (!form.get('Twiml') && !form.get('Url')) { twilioError(res, 400, 21205, 'Url or Twiml is required.'); return true; }
    const sid = `CA${randomBytes(16).toString('hex')}`;
    this.calls.push({ form, sid });
    json(res, 201, { sid, account_sid: this.accountSid, to, from: form.get('From'), status: 'queued', direction: 'outbound-api', api_version: '2010-04-01' });
    const callback = form.get('StatusCallback');
    const statuses = this.callPlans.get(to) ?? ['initiated', 'ringing', 'in-progress', 'completed'];
    statuses.forEach((status, i) => this.later(this.plan.delayMs * (i + 1), async () => {
      if (!callback) return;
      const params = { CallSid: sid, CallStatus: status, AccountSid: this.accountSid, To: to, From: form.get('From') ?? '', Direction: 'outbound-api', ApiVersion: '2010-04-01' };
      try { const r = await this.postSigned(callback, params); this.callbacksSent.push({ url: callback, params, status: r.status }); } catch { /* gone */ }
    }));
    return true;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await this.body(req);
    if (handleLookup(this, req, res)) return;
    if (handleNumbers(this, req, res, body)) return;
    if (this.#calls(req, res, body)) return;
    const fetchOne = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\/([^/]+)\.json$/.exec(req.url ?? '');
    if (req.method === 'GET' && fetchOne) {
      if (!basicAuthOk(req, fetchOne[1], this.accountSid, this.authToken)) return twilioError(res, 401, 20003, 'Authenticate');
      this.fetches.push(decodeURIComponent(fetchOne[2]));
      const resource = this.messages.get(decodeURIComponent(fetchOne[2]));
      return resource ? json(res, 200, resource) : twilioError(res, 404, 20404, 'The requested resource was not found');
    }
    const m = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !m) return twilioError(res, 404, 20404, 'The requested resource was not found');
    const form = new URLSearchParams(body);
    const record: CreateRequest = { form, authorization: req.headers.authorization, sid: null, answer: {}, at: Date.now() };
    this.requests.push(record);
    if (!basicAuthOk(req, m[1], this.accountSid, this.authToken)) return twilioError(res, 401, 20003, 'Authenticate');
    const behaviour = this.behaviours.shift() ?? this.outage ?? undefined;
    if (behaviour?.kind === 'hang') { this.hanging.add(res); return; }
    if (behaviour?.kind === 'error') {
      return twilioError(res, behaviour.status, behaviour.code, behaviour.message ?? `simulated error ${behaviour.code}`, behaviour.retryAfter ? { 'retry-after': behaviour.retryAfter } : {});
    }
    if (this.failureRate > 0 && Math.random() < this.failureRate) return twilioError(res, 503, 20500, 'Service unavailable (simulated)');
    const verdict = this.script?.verdict() ?? 'ok';
    if (verdict === 'throttle') return twilioError(res, 429, 20429, 'Too Many Requests', { 'retry-after': '1' });
    if (verdict !== 'ok') return twilioError(res, 503, 20500, verdict === 'outage' ? 'Service Unavailable (sandbox outage)' : 'Internal Server Error (sandbox)');
    const to = form.get('To');
    if (!to) return twilioError(res, 400, 21604, "A 'To' phone number is required.");
    if (!/^\+[1-9]\d{1,14}$/.test(to)) return twilioError(res, 400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    if (!form.get('From') && !form.get('MessagingServiceSid')) return twilioError(res, 400, 21603, "A 'From' phone number is required.");
    if (!form.get('Body') && !form.get('MediaUrl')) return twilioError(res, 400, 21602, 'Message body is required.');
    if ((form.get('Body') ?? '').length > 1600) return twilioError(res, 400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
    const sid = `SM${randomBytes(16).toString('hex')}`;
    const now = new Date();
    const answer = {
      account_sid: this.accountSid, api_version: '2010-04-01', body: form.get('Body') ?? '', date_created: rfc2822(now), date_sent: null,
      date_updated: rfc2822(now), direction: 'outbound-api', error_code: null, error_message: null, from: form.get('From'),
      messaging_service_sid: form.get('MessagingServiceSid'), num_media: '0', num_segments: '1', price: null, price_unit: 'USD', sid,
      status: 'queued', subresource_uris: { media: `/2010-04-01/Accounts/${this.accountSid}/Messages/${sid}/Media.json` }, to,
      uri: `/2010-04-01/Accounts/${this.accountSid}/Messages/${sid}.json`,
    };
    record.sid = sid;
    record.answer = answer;
    this.messages.set(sid, { ...answer });
    const latency = this.latencyMs();
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));
    await this.scriptedDelay();
    json(res, 201, answer);
    const callback = form.get('StatusCallback');
    if (callback) this.#scheduleCallbacks(callback, sid, form);
    this.onMessage?.({ to, from: form.get('From') ?? '', body: form.get('Body') ?? '' });
  }



  /** The receipts the script gives a message accepted now (30003: unreachable handset). */
  #scripted(): CallbackPlan | null {
    if (!this.script) return null;
    const outcome = this.script.receipt();
    return { statuses: ['sent', outcome === 'undelivered' ? 'undelivered' : 'delivered'], delayMs: this.script.receiptDelayMs(this.plan.delayMs), lost: outcome === 'lost', ...(outcome === 'undelivered' ? { errorCode: '30003' } : {}) };
  }

  sent(): SandboxMessage[] {
    return this.requests.filter((r) => r.sid).map((r) => ({
      id: r.sid!, to: r.form.get('To') ?? '', from: r.form.get('From') ?? '', body: r.form.get('Body') ?? '', status: String(this.messages.get(r.sid!)?.status ?? 'queued'), at: new Date(r.at).toISOString(),
    }));
  }

  protected async deliverInbound(url: string, p: InboundText): Promise<{ status: number }> {
    return this.sendInbound(url, { From: p.from, To: p.to, Body: p.text });
  }

  reset(): void { this.requests.length = 0; this.messages.clear(); this.callbacksSent.length = 0; }

  #scheduleCallbacks(url: string, sid: string, form: URLSearchParams): void {
    const plan = this.plans.get(form.get('To') ?? '') ?? this.#scripted() ?? this.plan;
    // One status after the other, each timer set when the one before has run: timers of
    // different lengths set together may fire out of order on a busy machine, and a
    // message's status at Twilio only moves forward.
    const step = (i: number) => {
      const status = plan.statuses[i];
      if (status === undefined) return;
      this.later(plan.delayMs, async () => {
        step(i + 1);
        const params: Record<string, string> = {
          SmsSid: sid, SmsStatus: status, MessageStatus: status, To: form.get('To') ?? '', MessageSid: sid,
          AccountSid: this.accountSid, From: form.get('From') ?? '', ApiVersion: '2010-04-01',
        };
        if ((status === 'failed' || status === 'undelivered') && plan.errorCode) params.ErrorCode = plan.errorCode;
        if (status === 'delivered' || status === 'undelivered') params.RawDlrDoneDate = new Date().toISOString().replace(/\D/g, '').slice(2, 12);
        const resource = this.messages.get(sid);
        if (resource) Object.assign(resource, { status, error_code: params.ErrorCode ? Number(params.ErrorCode) : null, date_updated: rfc2822(new Date()) });
        if (plan.lost) return;
        for (let n = 0; n < (plan.duplicate ? 2 : 1); n++) {
          try {
            const r = await this.postSigned(url, params);
            this.callbacksSent.push({ url, params, status: r.status });
          } catch { /* the gateway is gone; Twilio would retry, the test does not need it */ }
        }
      });
    };
    step(0);
  }
}
