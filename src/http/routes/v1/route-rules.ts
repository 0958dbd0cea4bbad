// /v1/route-rules (operator): the providers a number prefix or a mobile network may go
// through, in the order preferred; GET /v1/lookups/:number: a number's carrier lookup.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import type { LookupRow, RouteRuleRow } from '../../../store/store.ts';
import { upsertRouteRule, type RouteRuleInput } from '../../../services/route-rules.ts';
import { pageByKey, pageQuery, type PageQuery } from '../../paging.ts';
import { AppError } from '../../../domain/errors.ts';
import { requirePhone } from '../../../domain/phone.ts';

const ruleSchema = {
  type: 'object',
  properties: { match: { type: 'string' }, kind: { type: 'string' }, providers: { type: 'array', items: { type: 'string' } }, created_at: { type: 'string' }, updated_at: { type: 'string' } },
} as const;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function presentRouteRule(r: RouteRuleRow) {
  return { match: r.match, kind: r.match.startsWith('+') ? 'prefix' : 'network', providers: JSON.parse(r.providers) as string[], created_at: iso(r.created_at), updated_at: iso(r.updated_at) };
}

export function presentLookup(l: LookupRow, cached: boolean) {
  return {
    number: l.number, line_type: l.line_type, provider_type: l.provider_type, carrier: l.carrier, network: l.mcc && l.mnc ? `${l.mcc}-${l.mnc}` : null,
    mcc: l.mcc, mnc: l.mnc, ported: l.ported === null ? null : l.ported === 1, provider: l.provider_id, price: l.price,
    looked_up_at: iso(l.looked_up_at), expires_at: iso(l.expires_at), cached,
  };
}

export async function routeRuleRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.post<{ Body: RouteRuleInput }>('/v1/route-rules', {
    config: { scope: 'operator' },
    schema: {
      tags: ['routing'], summary: 'Set the providers a number prefix or a mobile network goes through (operator)',
      body: { type: 'object', required: ['match', 'providers'], additionalProperties: false, properties: { match: { type: 'string', maxLength: 16 }, providers: { type: 'array', items: { type: 'string' }, maxItems: 50 } } },
      response: { 201: ruleSchema },
    },
  }, async (req, reply) => {
    const row = await upsertRouteRule(ctx.store, req.principal, req.body);
    await ctx.router.refresh();
    return reply.code(201).send(presentRouteRule(row));
  });

  app.get<{ Querystring: PageQuery }>('/v1/route-rules', {
    config: { scope: 'read' },
    schema: {
      tags: ['routing'], summary: 'List route rules by prefix and network',
      querystring: { type: 'object', additionalProperties: false, properties: pageQuery },
      response: { 200: { type: 'object', properties: { data: { type: 'array', items: ruleSchema }, next_cursor: { type: ['string', 'null'] } } } },
    },
  }, async (req) => pageByKey(await ctx.store.listRouteRules(), (r) => r.match, 'rte', req.query, presentRouteRule));

  app.delete<{ Params: { match: string } }>('/v1/route-rules/:match', {
    config: { scope: 'operator' },
    schema: { tags: ['routing'], summary: 'Delete a route rule (operator)', params: { type: 'object', properties: { match: { type: 'string' } } } },
  }, async (req, reply) => {
    if (!(await ctx.store.deleteRouteRule(req.params.match))) throw new AppError('not_found', `no route rule ${req.params.match}`);
    await ctx.router.refresh();
    return reply.code(204).send();
  });

  app.get<{ Params: { number: string }; Querystring: { refresh?: boolean } }>('/v1/lookups/:number', {
    config: { scope: 'read' },
    schema: {
      tags: ['routing'], summary: 'A number\'s carrier lookup: a read key sees the cached one; an admin key looks it up when none is cached, or afresh with ?refresh=true (each costs a lookup)',
      params: { type: 'object', properties: { number: { type: 'string' } } },
      querystring: { type: 'object', additionalProperties: false, properties: { refresh: { type: 'boolean' } } },
    },
  }, async (req) => {
    const number = requirePhone(req.params.number, 'number');
    const refresh = req.query.refresh === true;
    // A lookup costs money: a read key sees what is cached; asking the provider needs admin.
    const admin = req.principal.operator || req.principal.scopes.has('admin');
    if (refresh && !admin) throw new AppError('forbidden', '?refresh=true needs the admin scope (it costs a lookup)');
    if (!admin) {
      const cached = await ctx.store.getLookup(number);
      if (!cached || cached.line_type === null) throw new AppError('not_found', `${number} has not been looked up; an admin key looks it up (it costs a lookup)`);
      return presentLookup(cached, true);
    }
    const answer = await ctx.lookups.lookup(number, Date.now(), refresh);
    if (!answer.result) throw new AppError('unavailable', answer.error ?? 'the lookup failed');
    return presentLookup(answer.result, answer.cached);
  });
}
