// /v1/country-rules (admin): what a destination country allows. Routing never chooses a
// sender a rule forbids, and an explicit `from` it forbids is refused at intake.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../app.ts';
import type { CountryRuleRow, Store } from '../../../store/store.ts';

export interface CountryRuleInput { country: string; require_local?: boolean; allow_alphanumeric?: boolean; providers?: string[] | null }

const ruleSchema = {
  type: 'object',
  properties: {
    country: { type: 'string' }, require_local: { type: 'boolean' }, allow_alphanumeric: { type: 'boolean' },
    providers: { type: ['array', 'null'], items: { type: 'string' } }, created_at: { type: 'string' }, updated_at: { type: 'string' },
  },
} as const;

export function presentCountryRule(r: CountryRuleRow) {
  return {
    country: r.country, require_local: r.require_local === 1, allow_alphanumeric: r.allow_alphanumeric === 1,
    providers: r.providers ? (JSON.parse(r.providers) as string[]) : null,
    created_at: new Date(r.created_at).toISOString(), updated_at: new Date(r.updated_at).toISOString(),
  };
}

export async function upsertCountryRule(store: Store, input: CountryRuleInput): Promise<CountryRuleRow> {
  const now = Date.now();
  const existing = (await store.listCountryRules()).find((r) => r.country === input.country);
  const row: CountryRuleRow = {
    country: input.country, require_local: input.require_local ? 1 : 0, allow_alphanumeric: input.allow_alphanumeric === false ? 0 : 1,
    providers: input.providers && input.providers.length > 0 ? JSON.stringify(input.providers) : null,
    created_at: existing?.created_at ?? now, updated_at: now,
  };
  await store.upsertCountryRule(row);
  return row;
}

export async function countryRuleRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.post<{ Body: CountryRuleInput }>('/v1/country-rules', {
    config: { scope: 'admin' },
    schema: {
      tags: ['routing'], summary: 'Set the compliance rule of a destination country',
      body: {
        type: 'object', required: ['country'], additionalProperties: false,
        properties: {
          country: { type: 'string', pattern: '^[A-Z]{2}$' }, require_local: { type: 'boolean' }, allow_alphanumeric: { type: 'boolean' },
          providers: { type: ['array', 'null'], items: { type: 'string' } },
        },
      },
      response: { 201: ruleSchema },
    },
  }, async (req, reply) => {
    const row = await upsertCountryRule(ctx.store, req.body);
    await ctx.router.refresh();
    return reply.code(201).send(presentCountryRule(row));
  });

  app.get('/v1/country-rules', {
    config: { scope: 'admin' },
    schema: { tags: ['routing'], summary: 'List country rules', response: { 200: { type: 'object', properties: { data: { type: 'array', items: ruleSchema }, next_cursor: { type: ['string', 'null'] } } } } },
  }, async () => ({ data: (await ctx.store.listCountryRules()).map(presentCountryRule), next_cursor: null }));
}
