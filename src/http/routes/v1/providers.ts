// /v1/providers (admin): provider records. Credentials are environment variable names,
// never values; a record that looks like it carries a secret is refused.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../app.ts';
import { AppError } from '../../../domain/errors.ts';
import { validateProviderConfig } from '../../../providers/registry.ts';
import type { ProviderRow } from '../../../store/store.ts';

export interface ProviderInput { id: string; kind: string; priority?: number; active?: boolean; config?: Record<string, unknown>; prices?: Record<string, string> }

const providerSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, kind: { type: 'string' }, priority: { type: 'integer' }, active: { type: 'boolean' },
    config: { type: 'object', additionalProperties: true }, prices: { type: 'object', additionalProperties: { type: 'string' } },
    webhooks: { type: 'object', properties: { status: { type: 'string' }, inbound: { type: 'string' } } },
    created_at: { type: 'string' }, updated_at: { type: 'string' },
  },
} as const;

export function presentProvider(p: ProviderRow, publicUrl: string) {
  return {
    id: p.id, kind: p.kind, priority: p.priority, active: p.active === 1, config: JSON.parse(p.config), prices: JSON.parse(p.prices),
    webhooks: { status: `${publicUrl}/webhooks/${p.id}/status`, inbound: `${publicUrl}/webhooks/${p.id}/inbound` },
    created_at: new Date(p.created_at).toISOString(), updated_at: new Date(p.updated_at).toISOString(),
  };
}

/** Validates and writes a provider record (API, CLI and `switchboard apply`). */
export async function upsertProvider(ctx: Pick<AppContext, 'store'>, input: ProviderInput, kinds: string[]): Promise<ProviderRow> {
  if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(input.id)) throw new AppError('validation_error', 'id must be lowercase letters, digits, - and _', { field: 'id' });
  if (!kinds.includes(input.kind)) throw new AppError('validation_error', `unknown kind ${input.kind}; known: ${kinds.join(', ')}`, { field: 'kind' });
  const config = input.config ?? {};
  const problems = validateProviderConfig(input.kind, config);
  const secret = problems.find((p) => p.includes('looks like a secret'));
  if (secret) throw new AppError('secret_value_given', secret, { field: 'config' });
  if (problems.length) throw new AppError('validation_error', problems.join('; '), { field: 'config' });
  for (const [country, price] of Object.entries(input.prices ?? {})) {
    if (!/^\d+(\.\d{1,6})?$/.test(price)) throw new AppError('validation_error', `price for ${country} must be a decimal string like "0.0079"`, { field: `prices.${country}` });
  }
  const now = Date.now();
  const existing = (await ctx.store.listProviders()).find((p) => p.id === input.id);
  const row: ProviderRow = {
    id: input.id, kind: input.kind, priority: input.priority ?? existing?.priority ?? 10, active: input.active === false ? 0 : 1,
    config: JSON.stringify(config), prices: JSON.stringify(input.prices ?? {}), created_at: existing?.created_at ?? now, updated_at: now,
  };
  await ctx.store.upsertProvider(row);
  return row;
}

export async function providerRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const body = {
    type: 'object', required: ['id', 'kind'], additionalProperties: false,
    properties: {
      id: { type: 'string', maxLength: 63 }, kind: { type: 'string' }, priority: { type: 'integer', minimum: 0, maximum: 1000 },
      active: { type: 'boolean' }, config: { type: 'object' }, prices: { type: 'object', additionalProperties: { type: 'string' } },
    },
  } as const;

  app.post<{ Body: ProviderInput }>('/v1/providers', {
    config: { scope: 'admin' },
    schema: { tags: ['providers'], summary: 'Create or replace a provider', body, response: { 201: providerSchema } },
  }, async (req, reply) => {
    const row = await upsertProvider(ctx, req.body, ctx.registry.kinds());
    await ctx.router.refresh();
    return reply.code(201).send(presentProvider(row, ctx.config.publicUrl));
  });

  app.get('/v1/providers', {
    config: { scope: 'admin' },
    schema: { tags: ['providers'], summary: 'List providers', response: { 200: { type: 'object', properties: { data: { type: 'array', items: providerSchema }, next_cursor: { type: ['string', 'null'] } } } } },
  }, async () => ({ data: (await ctx.store.listProviders()).map((p) => presentProvider(p, ctx.config.publicUrl)), next_cursor: null }));

  app.delete<{ Params: { id: string } }>('/v1/providers/:id', {
    config: { scope: 'admin' },
    schema: { tags: ['providers'], summary: 'Deactivate a provider (records are kept)', response: { 200: providerSchema } },
  }, async (req) => {
    const existing = (await ctx.store.listProviders()).find((p) => p.id === req.params.id);
    if (!existing) throw new AppError('not_found', `no provider ${req.params.id}`);
    const row = { ...existing, active: 0, updated_at: Date.now() };
    await ctx.store.upsertProvider(row);
    await ctx.router.refresh();
    return presentProvider(row, ctx.config.publicUrl);
  });
}
