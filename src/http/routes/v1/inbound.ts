// GET /v1/inbound: inbound messages received for the account, newest first.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import { decodeCursor, pageFetched, pageQuery } from '../../paging.ts';
import { actingAccount } from '../../../domain/actor.ts';

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
    return pageFetched(rows, limit, (m) => m.id, (m) => ({
      id: m.id, provider: m.provider_id, provider_message_id: m.provider_message_id, from: m.from_number, to: m.to_number, body: m.body,
      received_at: new Date(m.received_at).toISOString(), created_at: new Date(m.created_at).toISOString(),
    }));
  });
}
