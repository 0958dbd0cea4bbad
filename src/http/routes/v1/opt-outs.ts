// /v1/opt-outs: the account's own opt-out list (read to list, send to change): what the
// consent ledger's records leave (domain/consent.ts). Inbound STOP/START keep it up to
// date; a change here is a record too (source api, or dashboard), and audited.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import { AppError } from '../../../domain/errors.ts';
import { requirePhone as phone, optOutSender as sender } from '../../../domain/phone.ts';
import { topicOf } from '../../../domain/consent.ts';
import type { OptOutRow } from '../../../store/store.ts';
import { changeConsent } from '../../../services/consent.ts';
import { pageByKey, pageQuery, type PageQuery } from '../../paging.ts';
import { actingAccount } from '../../../domain/actor.ts';

const optOutSchema = {
  type: 'object',
  properties: { number: { type: 'string' }, sender: { type: ['string', 'null'] }, topic: { type: ['string', 'null'] }, source: { type: 'string' }, created_at: { type: 'string' } },
} as const;

function present(o: OptOutRow) {
  return { number: o.number, sender: o.sender === '' ? null : o.sender, topic: o.topic === '' ? null : o.topic, source: o.source, created_at: new Date(Number(o.created_at)).toISOString() };
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
    // The key is the number, the sender ('' = any) and the topic ('' = any), so one recipient's entries stay together.
    return pageByKey(rows, (o) => `${o.number}|${o.sender}|${o.topic}`, 'opt', req.query, present);
  });

  app.post<{ Body: { number: string; sender?: string; topic?: string } }>('/v1/opt-outs', {
    config: { scope: 'send' },
    schema: {
      tags: ['opt-outs'], summary: 'Opt a recipient out: of a topic, of one business number, or of the account when neither is given',
      body: { type: 'object', required: ['number'], additionalProperties: false, properties: { number: { type: 'string' }, sender: { type: 'string' }, topic: { type: 'string', maxLength: 40 } } },
      response: { 201: optOutSchema },
    },
  }, async (req, reply) => {
    if (req.body.sender !== undefined && req.body.topic !== undefined) throw new AppError('validation_error', 'give a sender or a topic, not both: a topic\'s opt-out covers every sender', { field: 'topic' });
    const r = await changeConsent(ctx.store, req.principal.accountId, 'opt_out', req.body, req.viaDashboard ? 'dashboard' : 'api');
    const stored = (await ctx.store.listOptOuts(req.principal.accountId, r.number)).find((o) => o.sender === r.sender && o.topic === r.topic);
    return reply.code(201).send(present(stored ?? { account_id: req.principal.accountId, number: r.number, sender: r.sender, topic: r.topic, source: 'api', created_at: Date.now() }));
  });

  app.delete<{ Params: { number: string }; Querystring: { sender?: string; topic?: string } }>('/v1/opt-outs/:number', {
    config: { scope: 'send' },
    schema: {
      tags: ['opt-outs'], summary: "Opt a recipient back in: all of its opt-outs, one sender's (?sender=) or one topic's (?topic=)",
      querystring: { type: 'object', additionalProperties: false, properties: { sender: { type: 'string' }, topic: { type: 'string' } } },
      response: { 200: { type: 'object', properties: { removed: { type: 'integer' } } } },
    },
  }, async (req) => {
    const number = phone(req.params.number, 'number');
    const s = sender(req.query.sender);
    const topic = topicOf(req.query.topic);
    // Only what is there is opted back in: a record that changes nothing is not written.
    const there = (await ctx.store.listOptOuts(req.principal.accountId, number)).filter((o) => (s === '' || o.sender === s) && (topic === '' || o.topic === topic));
    if (there.length === 0) throw new AppError('not_found', `${req.params.number} is not on the opt-out list${s ? ` for ${s}` : ''}${topic ? ` for ${topic}` : ''}`);
    const r = await changeConsent(ctx.store, req.principal.accountId, 'opt_in', { number, sender: s, topic }, req.viaDashboard ? 'dashboard' : 'api');
    return { removed: r.changed };
  });
}
