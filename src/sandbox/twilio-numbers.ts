// Twilio's number and lookup APIs on the sandbox's port (twilio.ts): numbers for sale and
// the account's numbers (AvailablePhoneNumbers, IncomingPhoneNumbers), and Lookup v2.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';

/** What these APIs read and change of the Twilio sandbox (twilio.ts). */
export interface TwilioAccount {
  readonly accountSid: string;
  readonly authToken: string;
  readonly url: string;
  readonly available: Map<string, Record<string, unknown>[]>;
  readonly owned: Map<string, Record<string, unknown>>;
  readonly lineTypes: Map<string, Record<string, unknown> | 'fail'>;
  readonly lookups: string[];
}
import { basicAuthOk, json, twilioError } from './twilio-wire.ts';

/** AvailablePhoneNumbers and IncomingPhoneNumbers, as Twilio's REST API answers them. */
export function handleNumbers(fake: TwilioAccount, req: IncomingMessage, res: ServerResponse, body: string): boolean {
  const url = new URL(req.url ?? '/', 'http://fake');
  const avail = /^\/2010-04-01\/Accounts\/([^/]+)\/AvailablePhoneNumbers\/([A-Z]{2})\/Local\.json$/.exec(url.pathname);
  const incoming = /^\/2010-04-01\/Accounts\/([^/]+)\/IncomingPhoneNumbers(?:\/([^/]+))?\.json$/.exec(url.pathname);
  const match = avail ?? incoming;
  if (!match) return false;
  if (!basicAuthOk(req, match[1], fake.accountSid, fake.authToken)) { twilioError(res, 401, 20003, 'Authenticate'); return true; }
  if (avail && req.method === 'GET') {
    const q = url.searchParams;
    const list = (fake.available.get(avail[2]) ?? []).filter((n) => {
      const caps = n.capabilities as Record<string, boolean>;
      return (!q.get('AreaCode') || String(n.phone_number).startsWith(`+1${q.get('AreaCode')}`)) && (q.get('SmsEnabled') !== 'true' || caps.SMS) && (q.get('VoiceEnabled') !== 'true' || caps.voice);
    });
    json(res, 200, { available_phone_numbers: list.slice(0, Number(q.get('PageSize') ?? 50)), uri: url.pathname });
    return true;
  }
  if (incoming && req.method === 'GET' && !incoming[2]) {
    const want = url.searchParams.get('PhoneNumber');
    json(res, 200, { incoming_phone_numbers: [...fake.owned.values()].filter((n) => !want || n.phone_number === want) });
    return true;
  }
  const form = new URLSearchParams(body);
  if (incoming && req.method === 'POST' && !incoming[2]) {
    const number = form.get('PhoneNumber');
    const country = [...fake.available.entries()].find(([, l]) => l.some((n) => n.phone_number === number));
    if (!number || !country) { twilioError(res, 400, 21422, 'PhoneNumber requested is not available'); return true; }
    const offer = country[1].find((n) => n.phone_number === number)!;
    fake.available.set(country[0], country[1].filter((n) => n !== offer));
    const sid = `PN${randomBytes(16).toString('hex')}`;
    const resource = { sid, account_sid: fake.accountSid, phone_number: number, friendly_name: offer.friendly_name, capabilities: offer.capabilities, sms_url: form.get('SmsUrl') ?? '', sms_method: form.get('SmsMethod') ?? 'POST', status_callback: form.get('StatusCallback') ?? '', status_callback_method: form.get('StatusCallbackMethod') ?? 'POST' };
    fake.owned.set(sid, resource);
    json(res, 201, resource);
    return true;
  }
  if (incoming && req.method === 'POST' && incoming[2]) {
    const resource = fake.owned.get(decodeURIComponent(incoming[2]));
    if (!resource) { twilioError(res, 404, 20404, 'The requested resource was not found'); return true; }
    if (form.has('SmsUrl')) resource.sms_url = form.get('SmsUrl');
    if (form.has('StatusCallback')) resource.status_callback = form.get('StatusCallback');
    json(res, 200, resource);
    return true;
  }
  twilioError(res, 405, 20004, 'Method not allowed');
  return true;
}

/** Lookup v2 (lookups.twilio.com) on the same port, as Twilio answers it. */
export function handleLookup(fake: TwilioAccount, req: IncomingMessage, res: ServerResponse): boolean {
  const url = new URL(req.url ?? '/', 'http://fake');
  const m = /^\/v2\/PhoneNumbers\/([^/]+)$/.exec(url.pathname);
  if (!m || req.method !== 'GET') return false;
  const [user, pass] = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString().split(':');
  if (user !== fake.accountSid || pass !== fake.authToken) { twilioError(res, 401, 20003, 'Authenticate'); return true; }
  const number = decodeURIComponent(m[1]);
  fake.lookups.push(number);
  const known = fake.lineTypes.get(number);
  if (known === 'fail') { twilioError(res, 503, 20503, 'Service unavailable'); return true; }
  const lti = url.searchParams.get('Fields')?.split(',').includes('line_type_intelligence')
    ? known ?? { carrier_name: 'Fake Mobile A', error_code: null, mobile_country_code: '310', mobile_network_code: '410', type: 'mobile' }
    : null;
  json(res, 200, {
    calling_country_code: '1', country_code: 'US', phone_number: number, national_format: number, valid: true, validation_errors: [],
    caller_name: null, sim_swap: null, call_forwarding: null, line_type_intelligence: lti, url: `${fake.url}/v2/PhoneNumbers/${encodeURIComponent(number)}`,
  });
  return true;
}
