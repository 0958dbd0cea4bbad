// A loopback Vonage SMS API that speaks the documented wire protocol (domain.md §3,
// ../shared/specs/vonage_sms.yml): POST /sms/json, form-encoded, with the API secret or a
// request signature; always HTTP 200 with one `messages[]` entry per part (all values
// strings); then one signed delivery receipt per part, JSON-POSTed to `callback`, as the
// account's webhook signing would sign it. Tests steer it: refuse with a status code,
// answer a non-200, hang, or report parts shuffled, duplicated, lost or failed.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { LoopbackFake } from './loopback.ts';
import type { InboundText, SandboxMessage } from './control.ts';
import { vonageSignature, verifyVonageSignature, type VonageSignatureMethod } from '../providers/vonage/signature.ts';

export const FAKE_VONAGE_KEY = 'abcd1234';
export const FAKE_VONAGE_SECRET = 'fake-vonage-api-secret';
export const FAKE_VONAGE_SIGNATURE_SECRET = 'fake-vonage-signature-secret';

export type VonageBehaviour =
  | { kind: 'status'; status: string; errorText?: string }
  | { kind: 'http'; status: number }
  | { kind: 'hang' };

export interface DlrPlan {
  /** the status each part ends in, and how long after the answer its receipt comes */
  status: 'delivered' | 'expired' | 'failed' | 'rejected' | 'accepted' | 'buffered';
  delayMs: number;
  /** receipts in a random order */
  shuffle?: boolean;
  /** this part's receipt (0-based) is posted twice */
  duplicate?: number;
  /** this part (0-based) fails with `errCode` */
  failPart?: number;
  errCode?: string;
  /** no receipt is posted at all */
  lost?: boolean;
}

export interface VonageRequest { params: URLSearchParams; ids: string[]; at: number }

/** How many parts Vonage cuts a text into (domain.md §1.3: 160/153 GSM-7, 70/67 UCS-2). */
export function vonageParts(text: string, unicode: boolean): number {
  const n = [...text].length;
  const [single, multi] = unicode ? [70, 67] : [160, 153];
  return n <= single ? 1 : Math.ceil(n / multi);
}

export class VonageFake extends LoopbackFake {
  readonly requests: VonageRequest[] = [];
  readonly behaviours: VonageBehaviour[] = [];
  readonly receiptsSent: { url: string; params: Record<string, string>; status: number }[] = [];
  plan: DlrPlan = { status: 'delivered', delayMs: 5 };
  method: VonageSignatureMethod = 'md5hash';




  /** Fields signed as Vonage signs its webhooks (timestamp, nonce, sig added). */
  sign(fields: Record<string, string>, at = Date.now()): Record<string, string> {
    const params = { ...fields, timestamp: String(Math.floor(at / 1000)), nonce: randomUUID() };
    return { ...params, sig: vonageSignature(params, FAKE_VONAGE_SIGNATURE_SECRET, this.method) };
  }

  /** A delivery receipt for one part, as Vonage would JSON-POST it. */
  receipt(messageId: string, status: string, over: Record<string, string> = {}): { headers: Record<string, string>; body: string } {
    const now = new Date();
    // The recipient and sender of the send that got this id, as Vonage names them.
    const sent = this.requests.find((r) => r.ids.includes(messageId))?.params;
    const fields = {
      msisdn: sent?.get('to') ?? '447700900000', to: sent?.get('from') ?? 'Acme', 'network-code': '23410', messageId, price: '0.03330000', status,
      scts: now.toISOString().replace(/\D/g, '').slice(2, 12), 'err-code': '0', 'api-key': FAKE_VONAGE_KEY,
      'message-timestamp': now.toISOString().slice(0, 19).replace('T', ' '), ...over,
    };
    return { headers: { 'content-type': 'application/json', 'user-agent': 'Vonage-fake/1' }, body: JSON.stringify(this.sign(fields)) };
  }

  /** Posts a signed inbound text to `url`, as Vonage does (JSON). */
  async sendInbound(url: string, p: { from: string; to: string; text: string }): Promise<Response> {
    const fields = { msisdn: p.from.replace(/^\+/, ''), to: p.to.replace(/^\+/, ''), messageId: randomBytes(8).toString('hex').toUpperCase(), text: p.text, type: 'text', keyword: p.text.split(/\s/)[0].toUpperCase(), 'api-key': FAKE_VONAGE_KEY, 'message-timestamp': new Date().toISOString().slice(0, 19).replace('T', ' ') };
    return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(this.sign(fields)) });
  }

  /** Posts a long inbound text as Vonage does: one signed webhook per part (concat-*), in `order`. */
  async sendInboundParts(url: string, p: { from: string; to: string; parts: string[]; order?: number[] }): Promise<number[]> {
    const ref = String(Math.floor(Math.random() * 250));
    const statuses: number[] = [];
    for (const k of p.order ?? p.parts.map((_, i) => i)) {
      const fields = {
        msisdn: p.from.replace(/^\+/, ''), to: p.to.replace(/^\+/, ''), messageId: randomBytes(8).toString('hex').toUpperCase(), text: p.parts[k], type: 'text',
        concat: 'true', 'concat-ref': ref, 'concat-total': String(p.parts.length), 'concat-part': String(k + 1), 'api-key': FAKE_VONAGE_KEY,
        'message-timestamp': new Date().toISOString().slice(0, 19).replace('T', ' '),
      };
      statuses.push((await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(this.sign(fields)) })).status);
    }
    return statuses;
  }

  #answer(res: ServerResponse, body: unknown): void {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  #refuse(res: ServerResponse, status: string, errorText: string): void {
    this.#answer(res, { 'message-count': '1', messages: [{ status, 'error-text': errorText }] });
  }

  /**
   * Number Insight Standard (api.nexmo.com) on the same port: each number's current
   * carrier as Vonage answers it (unlisted: a mobile on 310/410, not ported); `insights`
   * records each number asked about.
   */
  readonly carriers = new Map<string, { network_code: string | null; name: string; network_type: string; ported: string }>();
  readonly insights: string[] = [];

  #insight(req: IncomingMessage, res: ServerResponse): boolean {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (req.method !== 'GET' || url.pathname !== '/ni/standard/json') return false;
    const q = Object.fromEntries(url.searchParams);
    const authed = q.api_key === FAKE_VONAGE_KEY && (q.api_secret !== undefined ? q.api_secret === FAKE_VONAGE_SECRET : verifyVonageSignature(q, FAKE_VONAGE_SIGNATURE_SECRET, this.method));
    if (!authed) { this.#answer(res, { status: 4, status_message: 'Invalid credentials' }); return true; }
    this.insights.push(q.number);
    const c = this.carriers.get(q.number) ?? { network_code: '310410', name: 'Fake Mobile A', network_type: 'mobile', ported: 'not_ported' };
    this.#answer(res, {
      status: 0, status_message: 'Success', request_id: `ni-${this.insights.length}`, international_format_number: q.number, national_format_number: q.number,
      country_code: 'US', country_code_iso3: 'USA', country_name: 'United States of America', country_prefix: '1', request_price: '0.00500000', remaining_balance: '10.00000000',
      current_carrier: { network_code: c.network_code, name: c.name, country: 'US', network_type: c.network_type },
      original_carrier: { network_code: '310410', name: 'Fake Mobile A', country: 'US', network_type: 'mobile' }, ported: c.ported,
      roaming: { status: 'unknown' },
    });
    return true;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await this.body(req);
    if (this.#insight(req, res)) return;
    if (req.method !== 'POST' || req.url !== '/sms/json') { res.writeHead(404).end(); return; }
    const params = new URLSearchParams(body);
    const record: VonageRequest = { params, ids: [], at: Date.now() };
    this.requests.push(record);
    const fields = Object.fromEntries(params);
    if (fields.api_secret !== undefined && fields.sig !== undefined) return this.#refuse(res, '32', 'Signature and api secret cannot be used together');
    const authed = fields.api_key === FAKE_VONAGE_KEY
      && (fields.api_secret !== undefined ? fields.api_secret === FAKE_VONAGE_SECRET : verifyVonageSignature(fields, FAKE_VONAGE_SIGNATURE_SECRET, this.method));
    if (!authed) return this.#refuse(res, fields.sig !== undefined ? '14' : '4', fields.sig !== undefined ? 'Invalid Signature' : 'Bad Credentials');
    const behaviour = this.behaviours.shift();
    if (behaviour?.kind === 'hang') { this.hanging.add(res); return; }
    if (behaviour?.kind === 'http') { res.writeHead(behaviour.status, { 'content-type': 'text/html' }).end('<html>error</html>'); return; }
    if (behaviour?.kind === 'status') return this.#refuse(res, behaviour.status, behaviour.errorText ?? `simulated status ${behaviour.status}`);
    const verdict = this.script?.verdict() ?? 'ok';
    if (verdict === 'throttle') return this.#refuse(res, '1', 'Throughput Rate Exceeded - please wait [ 1000 ] and retry');
    if (verdict !== 'ok') { res.writeHead(503, { 'content-type': 'text/html' }).end('<html>Service Unavailable</html>'); return; }
    for (const p of ['from', 'to', 'text']) if (!fields[p]) return this.#refuse(res, '2', `Missing ${p} param`);
    if (!/^\d{7,15}$/.test(fields.to)) return this.#refuse(res, '3', 'Invalid to param');
    if (fields.ttl !== undefined && !(Number(fields.ttl) >= 20_000 && Number(fields.ttl) <= 604_800_000)) return this.#refuse(res, '3', 'Invalid ttl param');
    const count = vonageParts(fields.text, fields.type === 'unicode');
    const ids = Array.from({ length: count }, () => randomBytes(8).toString('hex').toUpperCase());
    record.ids = ids;
    await this.scriptedDelay();
    this.#answer(res, {
      'message-count': String(count),
      messages: ids.map((id) => ({
        to: fields.to, 'message-id': id, status: '0', 'remaining-balance': '3.14159265', 'message-price': '0.03330000', network: '23410',
        ...(fields['client-ref'] ? { 'client-ref': fields['client-ref'] } : {}),
      })),
    });
    if (fields.callback && fields['status-report-req'] !== '0') this.#scheduleReceipts(fields.callback, ids, fields);
  }

  /** The receipts the script gives a message accepted now: its first part failed (err-code 1) when undelivered. */
  #scripted(): DlrPlan | null {
    if (!this.script) return null;
    const outcome = this.script.receipt();
    return { status: 'delivered', delayMs: this.script.receiptDelayMs(this.plan.delayMs), lost: outcome === 'lost', ...(outcome === 'undelivered' ? { failPart: 0, errCode: '1' } : {}) };
  }

  sent(): SandboxMessage[] {
    return this.requests.filter((r) => r.ids.length > 0).map((r) => {
      const last = this.receiptsSent.filter((s) => r.ids.includes(s.params.messageId)).at(-1);
      return { id: r.ids[0], to: `+${r.params.get('to')}`, from: r.params.get('from') ?? '', body: r.params.get('text') ?? '', status: last?.params.status ?? 'accepted', at: new Date(r.at).toISOString() };
    });
  }

  protected async deliverInbound(url: string, p: InboundText): Promise<{ status: number }> {
    return this.sendInbound(url, p);
  }

  reset(): void { this.requests.length = 0; this.receiptsSent.length = 0; }

  #scheduleReceipts(url: string, ids: string[], sent: Record<string, string>): void {
    const plan = this.#scripted() ?? this.plan;
    if (plan.lost) return;
    let order = ids.map((id, part) => ({ id, part }));
    if (plan.shuffle) order = order.map((o) => ({ o, k: Math.random() })).sort((a, b) => a.k - b.k).map((x) => x.o);
    if (plan.duplicate !== undefined) order.push(order.find((o) => o.part === plan.duplicate)!);
    order.forEach(({ id, part }, i) => {
      this.later(plan.delayMs * (i + 1), async () => {
        const failed = plan.failPart === part;
        const { headers, body } = this.receipt(id, failed ? 'failed' : plan.status, {
          msisdn: sent.to, to: sent.from, 'err-code': failed ? plan.errCode ?? '99' : '0', ...(sent['client-ref'] ? { 'client-ref': sent['client-ref'] } : {}),
        });
        try {
          const r = await fetch(url, { method: 'POST', headers, body });
          this.receiptsSent.push({ url, params: JSON.parse(body), status: r.status });
        } catch { /* the gateway is gone; Vonage does not redeliver a receipt */ }
      });
    });
  }
}
