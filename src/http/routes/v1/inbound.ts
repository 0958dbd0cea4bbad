// GET /v1/inbound: inbound messages received for the account, newest first.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import { decodeCursor, pageFetched, pageQuery } from '../../paging.ts';
import { actingAccount } from '../../../domain/actor.ts';
import { presentInbound } from '../../../public/present.ts';
import { AppError } from '../../../domain/errors.ts';
import { callbacksWithDeliveries } from './messages.ts';

export async function inboundRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get<{ Querystring: { limit?: number; cursor?: string; account_id?: string } }>('/v1/inbound', {
    config: { scope: 'read' },
    schema: {
      tags: ['inbound'], summary: 'Inbound messages',
      querystring: { type: 'object', additionalProperties: false, properties: { account_id: { type: 'string' }, ...pageQuery } },
    },
  }, async (req) => {
    const limit = req.query.limit ?? 50;
    const rows = await ctx.store.listInbound(actingAccount(req.principal, req.query.account_id), req.query.cursor ? decodeCursor(req.query.cursor, 'inb') : undefined, limit + 1);
    return pageFetched(rows, limit, (m) => m.id, presentInbound);
  });

  app.get<{ Params: { id: string } }>('/v1/inbound/:id', {
    config: { scope: 'read' },
    schema: { tags: ['inbound'], summary: 'An inbound message, with its webhooks to your application (each delivery attempt)', params: { type: 'object', properties: { id: { type: 'string' } } } },
  }, async (req) => {
    // An operator may look up any account's text by id.
    const m = await ctx.store.getInbound(req.principal.operator ? null : req.principal.accountId, req.params.id);
    if (!m) throw new AppError('not_found', `no inbound message ${req.params.id}`);
    return { ...presentInbound(m), callbacks: await callbacksWithDeliveries(ctx.store, m.id) };
  });
}
