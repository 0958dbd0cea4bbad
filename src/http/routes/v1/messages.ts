// /v1/messages: send, read, list, cancel.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import { AppError } from '../../../domain/errors.ts';
import { parseIsoTime } from '../../../domain/time.ts';
import { STATUSES, type MessageStatus } from '../../../domain/status.ts';
import type { SendInput } from '../../../intake/accept-message.ts';
import { previewSend } from '../../../services/preview.ts';
import { iso, presentAttempt, presentRouting, presentEvent, presentMessage, presentPart } from '../../../public/present.ts';
import { listOf, sendBodySchema } from '../../schemas.ts';
import { isSendOutcome } from '../../waiters.ts';
import { cancelMessage } from '../../../services/cancel.ts';
import { decodeCursor, pageFetched, pageQuery } from '../../paging.ts';
import { actingAccount } from '../../../domain/actor.ts';
import { callerOf } from '../../caller.ts';
import type { AttemptRow, CallbackQueue, MessageRow } from '../../../store/store.ts';

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } } as const;
const errors = { 400: { $ref: 'Error#' }, 401: { $ref: 'Error#' }, 403: { $ref: 'Error#' } };

/** Per-API-key intake limit (SWITCHBOARD_KEY_RATE_PER_SECOND, burst SWITCHBOARD_KEY_RATE_BURST). */
async function limitIntake(ctx: AppContext, keyId: string | null): Promise<void> {
  const rate = ctx.config.keyRatePerSecond;
  if (rate <= 0) return;
  const r = await ctx.limiter.reserve(`key:${keyId ?? 'admin'}`, rate, ((ctx.config.keyRateBurst - 1) * 1000) / rate);
  if (!r.ok) {
    const retryAfter = Math.max(1, Math.ceil(r.waitMs / 1000));
    throw new AppError('rate_limited', `this key may send ${rate} messages per second (burst ${ctx.config.keyRateBurst}); retry in ${retryAfter} s`, { retryAfter });
  }
}

export async function messageRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  // With regions, which one the message is stored in (its id names it).
  const regions = ctx.store.regions;
  const present = (m: MessageRow, attempts?: AttemptRow[]) => ({ ...presentMessage(m, attempts), ...(regions ? { region: regions.ofId(m.id).name } : {}) });
  app.post<{ Body: SendInput }>('/v1/messages/preview', {
    config: { scope: 'send' },
    schema: {
      tags: ['messages'], summary: 'Dry run: what a send would cost and where it would go; nothing is stored or sent',
      description: 'The same body as POST /v1/messages, validated the same way. Answers encoding and segments, the characters that force UCS-2 and the GSM-7 alternative smart-encoding stand-ins make (and what it saves), the routes in the order they would be tried with the price of each, the providers left out and why, and the verdicts that would stop the send (opted out, no route). A request intake would refuse is refused the same way.',
      body: sendBodySchema,
      response: { 422: { $ref: 'Error#' }, ...errors },
    },
  }, async (req) => previewSend(ctx.intake, ctx.router, req.body, callerOf(req.principal), ctx.store));

  app.post<{ Body: SendInput; Querystring: { wait?: number }; Headers: { 'idempotency-key'?: string } }>('/v1/messages', {
    config: { scope: 'send' },
    schema: {
      tags: ['messages'], summary: 'Send a message',
      description: 'Validates, prices and stores the message, then answers 202 at once; it is sent asynchronously. With `?wait=S` (at most 30) the answer waits for the send outcome and is 200 once there is one.',
      body: sendBodySchema,
      querystring: { type: 'object', additionalProperties: false, properties: { wait: { type: 'number', minimum: 0, maximum: ctx.config.maxWaitSeconds } } },
      headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 255 } } },
      response: { 200: { $ref: 'Message#' }, 202: { $ref: 'Message#' }, 409: { $ref: 'Error#' }, 422: { $ref: 'Error#' }, 429: { $ref: 'Error#' }, ...errors },
    },
  }, async (req, reply) => {
    await limitIntake(ctx, req.principal.keyId);
    const key = req.headers['idempotency-key'];
    const { message, created } = await ctx.intake.accept(req.body, callerOf(req.principal), key);
    if (!created) reply.header('idempotent-replayed', 'true');
    const wait = req.query.wait ?? 0;
    if (wait > 0 && !isSendOutcome(message.status)) {
      const done = await ctx.waiters.wait(message.id, wait * 1000);
      // The outcome with the path it took: each attempt's provider, number and result.
      if (done) { const attempts = await ctx.store.listAttempts(done.id); return reply.code(200).send({ ...present(done, attempts), attempts: attempts.map(presentAttempt) }); }
    }
    return reply.code(202).send(present(message));
  });

  app.get<{ Params: { id: string } }>('/v1/messages/:id', {
    config: { scope: 'read' },
    schema: { tags: ['messages'], summary: 'A message with its attempts and events', params: idParams, response: { 200: { $ref: 'Message#' }, 404: { $ref: 'Error#' }, ...errors } },
  }, async (req) => {
    // An operator may look up any account's message by id.
    const m = await ctx.store.getMessage(req.principal.operator ? null : req.principal.accountId, req.params.id);
    if (!m) throw new AppError('not_found', `no message ${req.params.id}`);
    const [attempts, parts, events] = await Promise.all([ctx.store.listAttempts(m.id), ctx.store.listParts(m.id), ctx.store.listEvents(m.id)]);
    const routing = presentRouting(attempts);
    return { ...present(m, attempts), ...(routing ? { routing } : {}), attempts: attempts.map(presentAttempt), parts: parts.map(presentPart), events: events.map(presentEvent) };
  });

  app.get<{ Params: { id: string } }>('/v1/messages/:id/callbacks', {
    config: { scope: 'read' },
    schema: { tags: ['messages'], summary: 'The callbacks sent to your application for a message, with every delivery attempt', params: idParams },
  }, async (req) => {
    const m = await ctx.store.getMessage(req.principal.operator ? null : req.principal.accountId, req.params.id);
    if (!m) throw new AppError('not_found', `no message ${req.params.id}`);
    return { data: await callbacksWithDeliveries(ctx.store, m.id) };
  });

  type ListQuery = { account_id?: string; status?: MessageStatus; to?: string; from?: string; provider?: string; since?: string; until?: string; limit?: number; cursor?: string } & Record<string, string | number | undefined>;
  app.get<{ Querystring: ListQuery }>('/v1/messages', {
    config: { scope: 'read' },
    schema: {
      tags: ['messages'], summary: 'List messages, newest first',
      description: 'Filters: status, to, from, provider, since, until (ISO-8601, on created_at), metadata.<key>=<value>.',
      querystring: {
        type: 'object',
        additionalProperties: false,
        patternProperties: { '^metadata\\.[A-Za-z0-9_.-]+$': { type: 'string' } },
        properties: {
          status: { type: 'string', enum: [...STATUSES] }, to: { type: 'string' }, from: { type: 'string' }, provider: { type: 'string' },
          since: { type: 'string' }, until: { type: 'string' }, account_id: { type: 'string', description: 'operators: another account\'s messages' }, ...pageQuery,
        },
      },
      response: { 200: listOf('Message'), ...errors },
    },
  }, async (req) => {
    const q = req.query;
    const limit = q.limit ?? 50;
    const metadata: Record<string, string> = {};
    for (const [k, v] of Object.entries(q)) if (k.startsWith('metadata.') && typeof v === 'string') metadata[k.slice(9)] = v;
    const rows = await ctx.store.listMessages({
      accountId: actingAccount(req.principal, q.account_id), status: q.status, to: q.to, from: q.from, provider: q.provider,
      since: parseIsoTime(q.since, 'since'), until: parseIsoTime(q.until, 'until'), metadata,
      before: q.cursor ? decodeCursor(q.cursor, 'msg') : undefined, limit: limit + 1,
    });
    return pageFetched(rows, limit, (m) => m.id, (m) => present(m));
  });

  app.post<{ Params: { id: string } }>('/v1/messages/:id/cancel', {
    config: { scope: 'send' },
    schema: { tags: ['messages'], summary: 'Cancel a queued or scheduled message', params: idParams, response: { 200: { $ref: 'Message#' }, 404: { $ref: 'Error#' }, 409: { $ref: 'Error#' }, ...errors } },
  }, async (req) => {
    const r = await cancelMessage(ctx, req.principal.accountId, req.params.id);
    if (r.kind === 'not_found') throw new AppError('not_found', `no message ${req.params.id}`);
    if (r.kind === 'not_cancelable') throw new AppError('message_not_cancelable', `message ${req.params.id} is ${r.message.status}`);
    return present(r.message);
  });
}

/** The callbacks of a message or an inbound text, each with every delivery attempt. */
export async function callbacksWithDeliveries(store: Pick<CallbackQueue, 'listCallbacks' | 'listCallbackAttempts'>, id: string) {
  return Promise.all((await store.listCallbacks(id)).map(async (c) => ({
    id: c.id, type: c.type, url: c.url, status: c.status, attempts: c.attempts, last_error: c.last_error, created_at: iso(c.created_at), delivered_at: iso(c.delivered_at),
    deliveries: (await store.listCallbackAttempts(c.id)).map((a) => ({ attempt: a.attempt, status_code: a.status_code, error: a.error, at: iso(a.started_at), duration_ms: a.duration_ms })),
  })));
}
