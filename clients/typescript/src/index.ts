// A typed client for Switchboard's API: the request and response types are generated from
// its OpenAPI document (schema.ts, by `npm run client:generate` in the Switchboard
// repository), the calls made by openapi-fetch, plus the helpers integrations write by
// hand otherwise: send with an idempotency key, wait for a final status, verify a
// callback's Standard Webhooks signature, page through a list.
import createClient, { type Client } from 'openapi-fetch';
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { paths } from './schema.ts';

export type { paths, components } from './schema.ts';
export type Switchboard = Client<paths>;
export type Message = paths['/v1/messages/{id}']['get']['responses'][200]['content']['application/json'];
export type SendBody = NonNullable<paths['/v1/messages']['post']['requestBody']>['content']['application/json'];

/** Statuses a message does not leave. */
export const FINAL_STATUSES = ['delivered', 'undelivered', 'failed', 'expired', 'canceled'] as const;

/** An API error, with the API's machine-readable code. */
export class SwitchboardError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field?: string;
  constructor(status: number, body: { error?: { code?: string; message?: string; field?: string } } | undefined) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.name = 'SwitchboardError';
    this.status = status;
    this.code = body?.error?.code ?? 'http_error';
    this.field = body?.error?.field;
  }
}

/** A client for `baseUrl` that authenticates with `apiKey`. */
export function createSwitchboard(opts: { baseUrl: string; apiKey: string; fetch?: typeof fetch }): Switchboard {
  const client = createClient<paths>({ baseUrl: opts.baseUrl.replace(/\/+$/, ''), ...(opts.fetch ? { fetch: opts.fetch } : {}) });
  client.use({ onRequest: ({ request }) => { request.headers.set('authorization', `Bearer ${opts.apiKey}`); return request; } });
  return client;
}

/**
 * Sends a message with an idempotency key (a new one unless given: keep it to retry the
 * same send safely). Answers the accepted message; an API error throws SwitchboardError.
 */
export async function send(client: Switchboard, body: SendBody, opts: { idempotencyKey?: string } = {}): Promise<Message> {
  const { data, error, response } = await client.POST('/v1/messages', { body, params: { header: { 'idempotency-key': opts.idempotencyKey ?? randomUUID() } } });
  if (error || !data) throw new SwitchboardError(response.status, error as never);
  return data as Message;
}

/** Polls a message until its status is final (or `timeoutMs` passes: throws). */
export async function waitForFinal(client: Switchboard, id: string, opts: { timeoutMs?: number; intervalMs?: number } = {}): Promise<Message> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    const { data, error, response } = await client.GET('/v1/messages/{id}', { params: { path: { id } } });
    if (error || !data) throw new SwitchboardError(response.status, error as never);
    if ((FINAL_STATUSES as readonly string[]).includes(data.status as string)) return data;
    if (Date.now() > deadline) throw new Error(`message ${id} is still ${String(data.status)} after ${opts.timeoutMs ?? 60_000} ms`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 500));
  }
}

/**
 * Checks a callback's Standard Webhooks signature (webhook-id, webhook-timestamp,
 * webhook-signature headers) against the key's webhook secret (`whsec_…`), and that it is
 * at most `toleranceSec` old. `body` is the raw request body, as received.
 */
export function verifyCallback(secret: string, headers: Record<string, string | string[] | undefined>, body: string, opts: { toleranceSec?: number; now?: number } = {}): boolean {
  const one = (name: string) => { const v = headers[name]; return Array.isArray(v) ? v[0] : v; };
  const id = one('webhook-id');
  const timestamp = one('webhook-timestamp');
  const signatures = one('webhook-signature');
  if (!id || !timestamp || !signatures) return false;
  const age = Math.abs((opts.now ?? Date.now()) / 1000 - Number(timestamp));
  if (!Number.isFinite(age) || age > (opts.toleranceSec ?? 300)) return false;
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  return signatures.split(' ').some((s) => {
    const [version, sig] = s.split(',');
    if (version !== 'v1' || !sig) return false;
    const given = Buffer.from(sig, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

type ListPath = '/v1/messages' | '/v1/inbound' | '/v1/relays' | '/v1/masks' | '/v1/opt-outs' | '/v1/keys' | '/v1/numbers' | '/v1/batches' | '/v1/audit';

/** Every item of a list, page by page (`next_cursor`), with the list's filters in `query`. */
export async function* pages<T = unknown>(client: Switchboard, path: ListPath, query: Record<string, string | number | boolean> = {}): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const { data, error, response } = await (client.GET as (p: string, o: unknown) => Promise<{ data?: { data: T[]; next_cursor: string | null }; error?: unknown; response: Response }>)(path, { params: { query: { ...query, ...(cursor ? { cursor } : {}) } } });
    if (error || !data) throw new SwitchboardError(response.status, error as never);
    for (const item of data.data) yield item;
    cursor = data.next_cursor ?? undefined;
  } while (cursor);
}
