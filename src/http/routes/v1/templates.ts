// /v1/templates: the account's message templates, versioned (an edit is a new version).
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import { AppError } from '../../../domain/errors.ts';
import { actingAccount } from '../../../domain/actor.ts';
import { presentTemplate, saveTemplate, type TemplateInput } from '../../../services/templates.ts';

export async function templateRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.post<{ Body: TemplateInput }>('/v1/templates', {
    config: { scope: 'admin' },
    schema: {
      tags: ['templates'], summary: 'Create a template, or its next version',
      description: '`{name}` placeholders in `body`; `variables` declares them (default: the placeholders found). Saving an unchanged template makes no new version.',
      body: {
        type: 'object', required: ['id', 'body'], additionalProperties: false,
        properties: { id: { type: 'string' }, body: { type: 'string' }, variables: { type: 'array', maxItems: 50, items: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$' } }, locale: { type: 'string', maxLength: 35 },
          priority: { type: 'string', enum: ['urgent', 'normal', 'bulk'], description: 'the lane of messages sent with it that name none (a one-time code: urgent)' } },
      },
    },
  }, async (req, reply) => reply.code(201).send(presentTemplate(await saveTemplate(ctx.store, req.principal.accountId, req.body))));

  app.get<{ Querystring: { account_id?: string } }>('/v1/templates', {
    config: { scope: 'read' },
    schema: { tags: ['templates'], summary: "The account's templates, each at its latest version", querystring: { type: 'object', additionalProperties: false, properties: { account_id: { type: 'string' } } } },
  }, async (req) => ({ data: (await ctx.store.listTemplates(actingAccount(req.principal, req.query.account_id))).map(presentTemplate) }));

  app.get<{ Params: { id: string } }>('/v1/templates/:id', {
    config: { scope: 'read' },
    schema: { tags: ['templates'], summary: 'A template at its latest version, with every version' },
  }, async (req) => {
    const versions = await ctx.store.listTemplates(req.principal.accountId, req.params.id);
    if (versions.length === 0) throw new AppError('not_found', `no template ${req.params.id}`);
    return { ...presentTemplate(versions[0]), versions: versions.map(presentTemplate) };
  });
}
