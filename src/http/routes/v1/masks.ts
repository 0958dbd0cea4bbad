// /v1/masks: the account's masking sessions (send to create or end, read to list).
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import { AppError } from '../../../domain/errors.ts';
import { requirePhone } from '../../../domain/phone.ts';
import type { MaskRow } from '../../../store/store.ts';
import { decodeCursor, pageFetched, pageQuery } from '../../paging.ts';
import { actingAccount } from '../../../domain/actor.ts';

const maskSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, context_id: { type: ['string', 'null'] }, status: { type: 'string', enum: ['active', 'expired', 'deleted'] },
    participants: { type: 'array', items: { type: 'object', properties: { number: { type: 'string' }, proxy: { type: 'string' }, messages_sent: { type: 'integer' } } } },
    message_count: { type: 'integer' }, expires_at: { type: 'string' }, ended_at: { type: ['string', 'null'] }, created_at: { type: 'string' }, updated_at: { type: 'string' },
  },
} as const;

function present(m: MaskRow, now = Date.now()) {
  const status = m.end_reason === 'deleted' ? 'deleted' : m.ended_at !== null || m.expires_at <= now ? 'expired' : 'active';
  return {
    id: m.id, context_id: m.context_id, status,
    participants: [
      { number: m.participant_a, proxy: m.proxy_a, messages_sent: m.messages_a },
      { number: m.participant_b, proxy: m.proxy_b, messages_sent: m.messages_b },
    ],
    message_count: m.messages_a + m.messages_b,
    expires_at: new Date(m.expires_at).toISOString(), ended_at: m.ended_at === null ? null : new Date(m.ended_at).toISOString(),
    created_at: new Date(m.created_at).toISOString(), updated_at: new Date(m.updated_at).toISOString(),
  };
}

export async function maskRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const params = { type: 'object', properties: { id: { type: 'string' } } } as const;
  const find = async (accountId: string, id: string) => {
    const m = await ctx.store.getMask(accountId, id);
    if (!m) throw new AppError('not_found', `no masking session ${id}`);
    return m;
  };

  app.post<{ Body: { participants: string[]; context_id?: string; ttl?: number } }>('/v1/masks', {
    config: { scope: 'send' },
    schema: {
      tags: ['masking'], summary: 'Start a masking session: each participant gets a proxy number to text the other through',
      body: {
        type: 'object', required: ['participants'], additionalProperties: false,
        properties: {
          participants: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'string', maxLength: 32 } },
          context_id: { type: 'string', maxLength: 200 }, ttl: { type: 'integer', minimum: 1, default: 3600, description: 'seconds' },
        },
      },
      response: { 201: maskSchema },
    },
  }, async (req, reply) => {
    const [a, b] = req.body.participants.map((p) => requirePhone(p, 'participants'));
    const mask = await ctx.masks.create(req.principal.accountId, [a, b], req.body.context_id ?? null, req.body.ttl ?? 3600);
    return reply.code(201).send(present(mask));
  });

  app.get<{ Querystring: { context_id?: string; account_id?: string; limit?: number; cursor?: string } }>('/v1/masks', {
    config: { scope: 'read' },
    schema: {
      tags: ['masking'], summary: 'Masking sessions, newest first, with their message counts',
      querystring: { type: 'object', additionalProperties: false, properties: { context_id: { type: 'string' }, account_id: { type: 'string' }, ...pageQuery } },
      response: { 200: { type: 'object', properties: { data: { type: 'array', items: maskSchema }, next_cursor: { type: ['string', 'null'] } } } },
    },
  }, async (req) => {
    const limit = req.query.limit ?? 50;
    const rows = await ctx.store.listMasks({
      accountId: actingAccount(req.principal, req.query.account_id), contextId: req.query.context_id, limit: limit + 1,
      before: req.query.cursor ? decodeCursor(req.query.cursor, 'msk') : undefined,
    });
    return pageFetched(rows, limit, (m) => m.id, (m) => present(m));
  });

  app.get<{ Params: { id: string } }>('/v1/masks/:id', {
    config: { scope: 'read' }, schema: { tags: ['masking'], summary: 'One masking session', params, response: { 200: maskSchema } },
  }, async (req) => present(await find(req.principal.accountId, req.params.id)));

  app.delete<{ Params: { id: string } }>('/v1/masks/:id', {
    config: { scope: 'send' }, schema: { tags: ['masking'], summary: 'End a masking session now (its proxies are freed)', params, response: { 200: maskSchema } },
  }, async (req) => {
    await find(req.principal.accountId, req.params.id);
    await ctx.store.endMask(req.principal.accountId, req.params.id, 'deleted', Date.now());
    return present(await find(req.principal.accountId, req.params.id));
  });
}
