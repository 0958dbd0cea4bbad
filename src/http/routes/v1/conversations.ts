// GET /v1/conversations/:id: the texts between one business number and one customer, both
// ways, oldest first (the latest 100 of each side).
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import { AppError } from '../../../domain/errors.ts';
import { presentInbound, presentMessage } from '../../../public/present.ts';

const LIMIT = 100;

export async function conversationRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get<{ Params: { id: string } }>('/v1/conversations/:id', {
    config: { scope: 'read' },
    schema: { tags: ['inbound'], summary: 'A conversation: the texts between a business number and a customer, both ways, oldest first', params: { type: 'object', properties: { id: { type: 'string' } } } },
  }, async (req) => {
    // An operator may look up any account's conversation by id.
    const c = await ctx.store.getConversation(req.principal.operator ? null : req.principal.accountId, req.params.id);
    if (!c) throw new AppError('not_found', `no conversation ${req.params.id}`);
    const { sent, received } = await ctx.store.conversationTexts(c, LIMIT);
    const texts = [
      ...sent.map((m) => ({ at: m.created_at, text: { direction: 'outbound' as const, ...presentMessage(m) } })),
      ...received.map((m) => ({ at: m.received_at, text: { direction: 'inbound' as const, ...presentInbound(m) } })),
    ].sort((a, b) => a.at - b.at);
    return { id: c.id, account_id: c.account_id, business_number: c.business_number, customer_number: c.customer_number, texts: texts.map((x) => x.text) };
  });
}
