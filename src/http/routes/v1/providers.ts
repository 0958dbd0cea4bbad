// /v1/providers (operator): provider records, shared by every account. Credentials are
// environment variable names, never values (see services/providers.ts).
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import type { ProviderRow } from '../../../store/store.ts';
import { deactivateProvider, upsertProvider, type ProviderInput } from '../../../services/providers.ts';
import { pageByKey, pageQuery, type PageQuery } from '../../paging.ts';
import { providerModule } from '../../../providers/modules.ts';

const providerSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, kind: { type: 'string' }, priority: { type: 'integer' }, active: { type: 'boolean' },
    config: { type: 'object', additionalProperties: true }, prices: { type: 'object', additionalProperties: { type: 'string' } },
    webhooks: { type: ['object', 'null'], properties: { status: { type: 'string' }, inbound: { type: 'string' } }, description: 'the URLs to give the provider for receipts and inbound texts; null for a kind that takes none over HTTP (SMPP)' },
    created_at: { type: 'string' }, updated_at: { type: 'string' },
  },
} as const;

export function presentProvider(p: ProviderRow, publicUrl: string) {
  return {
    id: p.id, kind: p.kind, priority: p.priority, active: p.active === 1, config: JSON.parse(p.config), prices: JSON.parse(p.prices),
    webhooks: providerModule(p.kind)?.httpWebhooks === false ? null : { status: `${publicUrl}/webhooks/${p.id}/status`, inbound: `${publicUrl}/webhooks/${p.id}/inbound` },
    created_at: new Date(p.created_at).toISOString(), updated_at: new Date(p.updated_at).toISOString(),
  };
}

export async function providerRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const body = {
    type: 'object', required: ['id', 'kind'], additionalProperties: false,
    properties: {
      id: { type: 'string', maxLength: 63 }, kind: { type: 'string' }, priority: { type: 'integer', minimum: 0, maximum: 1000 },
      active: { type: 'boolean' }, config: { type: 'object' }, prices: { type: 'object', additionalProperties: { type: 'string' } },
    },
  } as const;
  const rules = { providerEnv: ctx.config.providerEnv };

  app.post<{ Body: ProviderInput }>('/v1/providers', {
    config: { scope: 'operator' },
    schema: { tags: ['providers'], summary: 'Create or replace a provider (operator)', body, response: { 201: providerSchema } },
  }, async (req, reply) => {
    const row = await upsertProvider(ctx.store, req.principal, req.body, rules);
    await ctx.router.refresh();
    return reply.code(201).send(presentProvider(row, ctx.config.publicUrl));
  });

  app.get<{ Querystring: PageQuery }>('/v1/providers', {
    config: { scope: 'operator' },
    schema: {
      tags: ['providers'], summary: 'List providers (operator)',
      querystring: { type: 'object', additionalProperties: false, properties: pageQuery },
      response: { 200: { type: 'object', properties: { data: { type: 'array', items: providerSchema }, next_cursor: { type: ['string', 'null'] } } } },
    },
  }, async (req) => pageByKey(await ctx.store.listProviders(), (p) => p.id, 'prv', req.query, (p) => presentProvider(p, ctx.config.publicUrl)));

  app.delete<{ Params: { id: string } }>('/v1/providers/:id', {
    config: { scope: 'operator' },
    schema: { tags: ['providers'], summary: 'Deactivate a provider; the record is kept (operator)', response: { 200: providerSchema } },
  }, async (req) => {
    const row = await deactivateProvider(ctx.store, req.principal, req.params.id);
    await ctx.router.refresh();
    return presentProvider(row, ctx.config.publicUrl);
  });
}
