// /v1/country-rules (operator): what a destination country allows. Routing never chooses
// a sender a rule forbids, and an explicit `from` it forbids is refused at intake.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import type { CountryRuleRow } from '../../../store/store.ts';
import { upsertCountryRule, type CountryRuleInput } from '../../../services/country-rules.ts';
import { pageByKey, pageQuery, type PageQuery } from '../../paging.ts';

const ruleSchema = {
  type: 'object',
  properties: {
    country: { type: 'string' }, require_local: { type: 'boolean' }, allow_alphanumeric: { type: 'boolean' },
    providers: { type: ['array', 'null'], items: { type: 'string' } }, lookup: { type: 'boolean' }, created_at: { type: 'string' }, updated_at: { type: 'string' },
  },
} as const;

export function presentCountryRule(r: CountryRuleRow) {
  return {
    country: r.country, require_local: r.require_local === 1, allow_alphanumeric: r.allow_alphanumeric === 1,
    providers: r.providers ? (JSON.parse(r.providers) as string[]) : null, lookup: r.lookup === 1,
    created_at: new Date(r.created_at).toISOString(), updated_at: new Date(r.updated_at).toISOString(),
  };
}

export async function countryRuleRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.post<{ Body: CountryRuleInput }>('/v1/country-rules', {
    config: { scope: 'operator' },
    schema: {
      tags: ['routing'], summary: 'Set the compliance rule of a destination country (operator)',
      body: {
        type: 'object', required: ['country'], additionalProperties: false,
        properties: {
          country: { type: 'string', pattern: '^[A-Z]{2}$' }, require_local: { type: 'boolean' }, allow_alphanumeric: { type: 'boolean' },
          providers: { type: ['array', 'null'], items: { type: 'string' } },
          lookup: { type: 'boolean', description: 'look every message to this country up before routing it (line type, current network)' },
        },
      },
      response: { 201: ruleSchema },
    },
  }, async (req, reply) => {
    const row = await upsertCountryRule(ctx.store, req.principal, req.body);
    await ctx.router.refresh();
    return reply.code(201).send(presentCountryRule(row));
  });

  app.get<{ Querystring: PageQuery }>('/v1/country-rules', {
    config: { scope: 'read' },
    schema: {
      tags: ['routing'], summary: 'List country rules (what every account\'s messages must follow)',
      querystring: { type: 'object', additionalProperties: false, properties: pageQuery },
      response: { 200: { type: 'object', properties: { data: { type: 'array', items: ruleSchema }, next_cursor: { type: ['string', 'null'] } } } },
    },
  }, async (req) => pageByKey(await ctx.store.listCountryRules(), (r) => r.country, 'cty', req.query, presentCountryRule));
}
