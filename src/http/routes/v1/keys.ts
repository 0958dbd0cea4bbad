// /v1/keys (admin): create (the secret is shown once), list, revoke. An account's admin
// manages its own account's keys; an operator manages every account's, and only an
// operator may create a key with the `operator` scope.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import { AppError } from '../../../domain/errors.ts';
import { canSee, readScope, actingAccount } from '../../../domain/actor.ts';
import { createKey, generateWebhookSecret, SCOPES, type Principal } from '../../../auth/auth.ts';
import type { ApiKeyRow, Scope } from '../../../store/store.ts';
import { pageByKey, pageQuery, type PageQuery } from '../../paging.ts';

const keySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, name: { type: 'string' }, account_id: { type: 'string' }, scopes: { type: 'array', items: { type: 'string' } },
    prefix: { type: 'string' }, secret: { type: 'string' }, webhook_secret: { type: 'string' }, callback_url: { type: ['string', 'null'] }, priority: { type: ['string', 'null'] }, created_at: { type: 'string' }, revoked_at: { type: ['string', 'null'] },
  },
} as const;

function present(k: ApiKeyRow) {
  return {
    id: k.id, name: k.name, account_id: k.account_id, scopes: k.scopes.split(','), prefix: k.prefix, callback_url: k.callback_url, priority: k.priority ?? null,
    created_at: new Date(k.created_at).toISOString(), revoked_at: k.revoked_at === null ? null : new Date(k.revoked_at).toISOString(),
  };
}

/** The key with this id, if the caller may manage it. */
async function manageableKey(ctx: AppContext, p: Principal, id: string): Promise<ApiKeyRow> {
  const key = await ctx.store.getApiKey(id);
  if (!key || !canSee(p, key.account_id)) throw new AppError('not_found', `no key ${id}`);
  // An operator key is everyone's concern: only another operator may rotate or revoke it.
  if (key.scopes.split(',').includes('operator') && !p.operator) throw new AppError('not_found', `no key ${id}`);
  return key;
}

export async function keyRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.post<{ Body: { name: string; account_id?: string; scopes?: Scope[]; callback_url?: string; priority?: string } }>('/v1/keys', {
    config: { scope: 'admin' },
    schema: {
      tags: ['keys'], summary: 'Create an API key; the secret is shown once',
      body: {
        type: 'object', required: ['name'], additionalProperties: false,
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 100 },
          account_id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
          scopes: { type: 'array', items: { type: 'string', enum: [...SCOPES] }, minItems: 1, uniqueItems: true },
          callback_url: { type: 'string', maxLength: 2048, description: 'default status callback for messages sent with this key' },
          priority: { type: 'string', enum: ['urgent', 'normal', 'bulk'], description: 'the lane of messages sent with this key that name none (a campaign tool\'s key: bulk)' },
        },
      },
      response: { 201: keySchema },
    },
  }, async (req, reply) => {
    if (req.body.scopes?.includes('operator') && !req.principal.operator) throw new AppError('forbidden', 'only an operator key may create operator keys', { field: 'scopes' });
    const accountId = actingAccount(req.principal, req.body.account_id);
    if (req.body.callback_url !== undefined) ctx.guard.checkAtIntake(req.body.callback_url);
    const { key, secret } = await createKey(ctx.store, { name: req.body.name, accountId, scopes: req.body.scopes, callbackUrl: req.body.callback_url, priority: req.body.priority });
    // Both secrets are shown this once: the API key and the secret that signs its callbacks.
    return reply.code(201).send({ ...present(key), secret, webhook_secret: key.webhook_secret! });
  });

  app.post<{ Params: { id: string } }>('/v1/keys/:id/rotate-webhook-secret', {
    config: { scope: 'admin' },
    schema: { tags: ['keys'], summary: 'Replace the secret that signs this key\'s callbacks; the new one is shown once', params: { type: 'object', properties: { id: { type: 'string' } } }, response: { 200: keySchema } },
  }, async (req) => {
    const key = await manageableKey(ctx, req.principal, req.params.id);
    const webhookSecret = generateWebhookSecret();
    await ctx.store.setApiKeyWebhookSecret(key.id, webhookSecret, Date.now());
    return { ...present(key), webhook_secret: webhookSecret };
  });

  app.get<{ Querystring: { account_id?: string } & PageQuery }>('/v1/keys', {
    config: { scope: 'admin' },
    schema: {
      tags: ['keys'], summary: 'List the account\'s API keys, never their secrets (an operator: every account\'s, or one with ?account_id=)',
      querystring: { type: 'object', additionalProperties: false, properties: { account_id: { type: 'string' }, ...pageQuery } },
      response: { 200: { type: 'object', properties: { data: { type: 'array', items: keySchema }, next_cursor: { type: ['string', 'null'] } } } },
    },
  }, async (req) => {
    const rows = await ctx.store.listApiKeys(readScope(req.principal, req.query.account_id));
    // Operator keys are the operators' business, even in the account they belong to.
    const visible = req.principal.operator ? rows : rows.filter((k) => !k.scopes.split(',').includes('operator'));
    return pageByKey(visible, (k) => k.id, 'key', req.query, present);
  });

  app.delete<{ Params: { id: string } }>('/v1/keys/:id', {
    config: { scope: 'admin' },
    schema: { tags: ['keys'], summary: 'Revoke an API key', params: { type: 'object', properties: { id: { type: 'string' } } }, response: { 200: keySchema } },
  }, async (req) => {
    const key = await manageableKey(ctx, req.principal, req.params.id);
    await ctx.store.revokeApiKey(key.id, Date.now());
    ctx.auth.forget();
    return present({ ...key, revoked_at: Date.now() });
  });
}
