// /v1/opt-outs: the account's own opt-out list (read to list, send to change). Inbound
// STOP/START keep it up to date; operators may add or remove entries by hand.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import { AppError } from '../../../domain/errors.ts';
import { requirePhone as phone, optOutSender as sender } from '../../../domain/phone.ts';
import type { OptOutRow } from '../../../store/store.ts';
import { pageByKey, pageQuery, type PageQuery } from '../../paging.ts';
import { actingAccount } from '../../../domain/actor.ts';

const optOutSchema = {
  type: 'object',
  properties: { number: { type: 'string' }, sender: { type: ['string', 'null'] }, source: { type: 'string' }, created_at: { type: 'string' } },
} as const;

function present(o: OptOutRow) {
  return { number: o.number, sender: o.sender === '' ? null : o.sender, source: o.source, created_at: new Date(o.created_at).toISOString() };
}

export async function optOutRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get<{ Querystring: { number?: string; account_id?: string } & PageQuery }>('/v1/opt-outs', {
    config: { scope: 'read' },
    schema: {
      tags: ['opt-outs'], summary: "The account's opt-outs, by number",
      querystring: { type: 'object', additionalProperties: false, properties: { number: { type: 'string' }, account_id: { type: 'string' }, ...pageQuery } },
      response: { 200: { type: 'object', properties: { data: { type: 'array', items: optOutSchema }, next_cursor: { type: ['string', 'null'] } } } },
    },
  }, async (req) => {
    const rows = await ctx.store.listOptOuts(actingAccount(req.principal, req.query.account_id), req.query.number ? phone(req.query.number, 'number') : undefined);
    // The key is the number then the sender ('' = account-wide), so one recipient's entries stay together.
    return pageByKey(rows, (o) => `${o.number}|${o.sender}`, 'opt', req.query, present);
  });

  app.post<{ Body: { number: string; sender?: string } }>('/v1/opt-outs', {
    config: { scope: 'send' },
    schema: {
      tags: ['opt-outs'], summary: 'Opt a recipient out (of one business number, or of the account when sender is omitted)',
      body: { type: 'object', required: ['number'], additionalProperties: false, properties: { number: { type: 'string' }, sender: { type: 'string' } } },
      response: { 201: optOutSchema },
    },
  }, async (req, reply) => {
    const row: OptOutRow = { account_id: req.principal.accountId, number: phone(req.body.number, 'number'), sender: sender(req.body.sender), source: 'api', created_at: Date.now() };
    await ctx.store.addOptOut(row);
    const stored = (await ctx.store.listOptOuts(row.account_id, row.number)).find((o) => o.sender === row.sender) ?? row;
    return reply.code(201).send(present(stored));
  });

  app.delete<{ Params: { number: string }; Querystring: { sender?: string } }>('/v1/opt-outs/:number', {
    config: { scope: 'send' },
    schema: {
      tags: ['opt-outs'], summary: "Remove a recipient's opt-outs (all of them, or one sender's with ?sender=)",
      querystring: { type: 'object', additionalProperties: false, properties: { sender: { type: 'string' } } },
      response: { 200: { type: 'object', properties: { removed: { type: 'integer' } } } },
    },
  }, async (req) => {
    const removed = await ctx.store.removeOptOuts(req.principal.accountId, phone(req.params.number, 'number'), req.query.sender === undefined ? null : sender(req.query.sender));
    if (removed === 0) throw new AppError('not_found', `${req.params.number} is not on the opt-out list`);
    return { removed };
  });
}
