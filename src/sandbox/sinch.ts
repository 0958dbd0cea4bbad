// A loopback Sinch SMS REST API speaking the documented wire protocol (domain.md §5):
// POST /xms/v1/{service_plan_id}/batches with a Bearer token and a JSON batch, 201 with
// the batch (MSISDNs without `+`), errors as {"code","text"}; per-recipient delivery
// reports JSON-POSTed to the batch's callback_url with the Basic credentials the account
// is provisioned with; GET …/batches/{id}/delivery_report for the current status; signed
// (Basic-authenticated) mo_text inbound posts. Tests steer it: error answers, hangs,
// lost or failed reports.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { LoopbackFake } from './loopback.ts';
import type { InboundText, SandboxMessage } from './control.ts';

export const FAKE_SINCH_PLAN = 'fakeplan0001';
export const FAKE_SINCH_TOKEN = 'fake-sinch-api-token';
export const FAKE_SINCH_CALLBACK_USER = 'switchboard';
export const FAKE_SINCH_CALLBACK_PASSWORD = 'fake-sinch-callback-password';
// RFC 7617 Basic credentials, written here rather than by the adapter's helper, so a bug there shows.
const CALLBACK_AUTHORIZATION = `Basic ${Buffer.from(`${FAKE_SINCH_CALLBACK_USER}:${FAKE_SINCH_CALLBACK_PASSWORD}`, 'utf8').toString('base64')}`;

/** `hang` never answers; with `accepted` the batch is created first (the answer is what gets lost: the crash window) */
export type SinchBehaviour = { kind: 'error'; status: number; code: string; text?: string; retryAfter?: string } | { kind: 'hang'; accepted?: boolean };

export interface SinchPlan {
  /** the statuses reported per recipient after the batch is accepted, in order */
  statuses: string[];
  delayMs: number;
  /** the reports are not posted (the status is still there to be fetched) */
  lost?: boolean;
  code?: number;
}

const strip = (n: string) => n.replace(/^\+|^00/, '');

export class SinchFake extends LoopbackFake {
  readonly requests: { batch: Record<string, unknown>; authorization: string | undefined; id: string | null }[] = [];
  readonly behaviours: SinchBehaviour[] = [];
  readonly reportsSent: { url: string; body: Record<string, unknown>; status: number }[] = [];
  /** batch id → its current recipient status, as a delivery report GET answers it */
  readonly status = new Map<string, { recipient: string; status: string; code: number; client_reference?: string }>();
  plan: SinchPlan = { statuses: ['Dispatched', 'Delivered'], delayMs: 5 };
  /** every batch created, as GET …/batches lists it */
  readonly batches: Record<string, unknown>[] = [];
  /** the client_reference of every List batches lookup */
  readonly lookups: string[] = [];

  /** A per-recipient delivery report as Sinch would post it, with the provisioned Basic credentials. */
  report(batchId: string, status: string, code = status === 'Delivered' ? 0 : 402, recipient = '14155550100'): { headers: Record<string, string>; body: string } {
    const now = new Date().toISOString();
    const body = { type: 'recipient_delivery_report_sms', batch_id: batchId, recipient, code, status, at: now, operator_status_at: now };
    return { headers: { 'content-type': 'application/json', authorization: CALLBACK_AUTHORIZATION }, body: JSON.stringify(body) };
  }

  /** Posts an inbound mo_text to `url`, as Sinch does. */
  async sendInbound(url: string, p: { from: string; to: string; body: string }): Promise<Response> {
    const body = { type: 'mo_text', id: randomBytes(13).toString('hex').toUpperCase(), from: strip(p.from), to: strip(p.to), body: p.body, received_at: new Date().toISOString(), operator_id: '31000' };
    return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: CALLBACK_AUTHORIZATION }, body: JSON.stringify(body) });
  }

  #json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  /** The reports the script gives a batch accepted now (Failed, code 402: unreachable, when undelivered). */
  #scripted(): SinchPlan | null {
    if (!this.script) return null;
    const outcome = this.script.receipt();
    return { statuses: ['Dispatched', outcome === 'undelivered' ? 'Failed' : 'Delivered'], delayMs: this.script.receiptDelayMs(this.plan.delayMs), lost: outcome === 'lost', code: 402 };
  }

  sent(): SandboxMessage[] {
    return this.requests.filter((r) => r.id).map((r) => ({
      id: r.id!, to: `+${strip(String((r.batch.to as string[])[0]))}`, from: String(r.batch.from), body: String(r.batch.body), status: this.status.get(r.id!)?.status ?? 'Queued',
      at: String(this.batches.find((b) => b.id === r.id)?.created_at ?? ''),
    }));
  }

  protected async deliverInbound(url: string, p: InboundText): Promise<{ status: number }> {
    return this.sendInbound(url, { from: p.from, to: p.to, body: p.text });
  }

  reset(): void { this.requests.length = 0; this.batches.length = 0; this.status.clear(); this.reportsSent.length = 0; }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await this.body(req);
    const url = new URL(req.url ?? '/', 'http://fake');
    const m = /^\/xms\/v1\/([^/]+)\/batches(?:\/([^/]+)\/delivery_report)?$/.exec(url.pathname);
    if (!m) return this.#json(res, 404, { code: 'not_found', text: 'Not found' });
    if (m[1] !== FAKE_SINCH_PLAN || req.headers.authorization !== `Bearer ${FAKE_SINCH_TOKEN}`) return this.#json(res, 401, { code: 'unauthorized', text: 'Unauthorized' });
    if (req.method === 'GET' && !m[2]) {
      // List batches: filtered by client_reference and start_date, paged.
      const ref = url.searchParams.get('client_reference');
      const start = Date.parse(url.searchParams.get('start_date') ?? '') || Date.now() - 86_400_000;
      const page = Number(url.searchParams.get('page') ?? 0);
      const size = Math.min(100, Number(url.searchParams.get('page_size') ?? 30));
      if (ref !== null) this.lookups.push(ref);
      const hits = this.batches.filter((b) => (ref === null || b.client_reference === ref) && Date.parse(b.created_at as string) >= start);
      return this.#json(res, 200, { count: hits.length, page, page_size: size, batches: hits.slice(page * size, (page + 1) * size) });
    }
    if (req.method === 'GET' && m[2]) {
      const s = this.status.get(decodeURIComponent(m[2]));
      if (!s) return this.#json(res, 404, { code: 'not_found', text: 'Batch not found' });
      return this.#json(res, 200, { type: 'delivery_report_sms', batch_id: m[2], total_message_count: 1, statuses: [{ code: s.code, status: s.status, count: 1, recipients: [s.recipient] }], client_reference: s.client_reference });
    }
    if (req.method !== 'POST' || m[2]) return this.#json(res, 405, { code: 'method_not_allowed', text: 'Method not allowed' });
    let batch: Record<string, unknown>;
    try { batch = JSON.parse(raw); } catch { return this.#json(res, 400, { code: 'syntax_invalid_json', text: 'Invalid JSON' }); }
    const record = { batch, authorization: req.headers.authorization, id: null as string | null };
    this.requests.push(record);
    const behaviour = this.behaviours.shift();
    if (behaviour?.kind === 'hang' && !behaviour.accepted) { this.hanging.add(res); return; }
    if (behaviour?.kind === 'error') return this.#json(res, behaviour.status, { code: behaviour.code, text: behaviour.text ?? `simulated ${behaviour.code}` }, behaviour.retryAfter ? { 'retry-after': behaviour.retryAfter } : {});
    const verdict = this.script?.verdict() ?? 'ok';
    if (verdict === 'throttle') return this.#json(res, 429, { code: 'too_many_requests', text: 'Too many requests' }, { 'retry-after': '1' });
    if (verdict !== 'ok') return this.#json(res, 503, { code: 'service_unavailable', text: verdict === 'outage' ? 'Service unavailable (sandbox outage)' : 'Internal error (sandbox)' });
    const to = batch.to;
    if (!Array.isArray(to) || to.length < 1 || to.length > 1000) return this.#json(res, 400, { code: 'syntax_invalid_parameter_format', text: 'to must have 1 to 1000 recipients' });
    for (const field of ['from', 'body']) if (typeof batch[field] !== 'string' || batch[field] === '') return this.#json(res, 400, { code: 'missing_parameter', text: `${field} is required` });
    if (!to.every((r) => typeof r === 'string' && /^(\+|00)?[1-9]\d{6,14}$/.test(r))) return this.#json(res, 400, { code: 'syntax_invalid_parameter_format', text: 'Invalid recipient' });
    const id = randomBytes(13).toString('hex').toUpperCase();
    record.id = id;
    const now = new Date().toISOString();
    const created = {
      id, to: to.map((r: string) => strip(r)), from: strip(batch.from as string), canceled: false, body: batch.body, type: 'mt_text', created_at: now, modified_at: now,
      delivery_report: batch.delivery_report ?? 'none', expire_at: batch.expire_at ?? new Date(Date.now() + 3 * 86_400_000).toISOString(),
      ...(batch.callback_url ? { callback_url: batch.callback_url } : {}), ...(batch.client_reference ? { client_reference: batch.client_reference } : {}), flash_message: false,
    };
    this.batches.push(created);
    await this.scriptedDelay();
    if (behaviour?.kind === 'hang') this.hanging.add(res);
    else this.#json(res, 201, created);
    const recipient = strip(to[0] as string);
    this.status.set(id, { recipient, status: 'Queued', code: 400, client_reference: batch.client_reference as string | undefined });
    const plan = this.#scripted() ?? this.plan;
    plan.statuses.forEach((status, i) => {
      this.later(plan.delayMs * (i + 1), async () => {
        const code = status === 'Delivered' ? 0 : status === 'Dispatched' ? 401 : plan.code ?? 402;
        this.status.set(id, { recipient, status, code, client_reference: batch.client_reference as string | undefined });
        if (plan.lost || typeof batch.callback_url !== 'string' || batch.delivery_report === 'none') return;
        const { headers, body } = this.report(id, status, code, recipient);
        try {
          const r = await fetch(batch.callback_url, { method: 'POST', headers, body });
          this.reportsSent.push({ url: batch.callback_url, body: JSON.parse(body), status: r.status });
        } catch { /* the gateway is gone; Sinch would retry, the test does not need it */ }
      });
    });
  }
}
