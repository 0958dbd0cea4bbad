// Operators' view of provider webhooks as stored (raw payloads, processing errors) and of
// alerts, with a replay of one webhook. Webhooks belong to providers, not accounts, so
// these are operator-only.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import { AppError } from '../../../domain/errors.ts';
import { requireOperator } from '../../../domain/actor.ts';
import type { WebhookRow } from '../../../store/store.ts';
import { iso } from '../../../public/present.ts';


function present(w: WebhookRow) {
  return {
    id: w.id, provider: w.provider_id, kind: w.kind, url: w.url, headers: JSON.parse(w.headers) as Record<string, string>, body: w.body,
    received_at: iso(w.received_at), processed_at: iso(w.processed_at), attempts: w.attempts, error: w.error,
  };
}

export async function webhookAdminRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get<{ Querystring: { provider?: string; limit?: number } }>('/v1/webhooks', {
    config: { scope: 'admin' },
    schema: {
      tags: ['webhooks'], summary: 'Stored provider webhooks, newest first (operators)',
      querystring: { type: 'object', additionalProperties: false, properties: { provider: { type: 'string' }, limit: { type: 'integer', minimum: 1, maximum: 500 } } },
    },
  }, async (req) => {
    requireOperator(req.principal, 'provider webhooks');
    const rows = await ctx.store.listWebhooks({ providerId: req.query.provider, newest: req.query.limit ?? 100 });
    return { data: rows.map(present) };
  });

  app.get<{ Params: { id: string } }>('/v1/webhooks/:id', {
    config: { scope: 'admin' },
    schema: { tags: ['webhooks'], summary: 'One stored provider webhook, raw (operators)' },
  }, async (req) => {
    requireOperator(req.principal, 'provider webhooks');
    const w = await ctx.store.getWebhook(req.params.id);
    if (!w) throw new AppError('not_found', `no webhook ${req.params.id}`);
    return present(w);
  });

  app.post<{ Params: { id: string } }>('/v1/webhooks/:id/replay', {
    config: { scope: 'admin' },
    schema: { tags: ['webhooks'], summary: 'Processes a stored webhook again (idempotent: status only moves forward)' },
  }, async (req, reply) => {
    requireOperator(req.principal, 'provider webhooks');
    if (!(await ctx.store.getWebhook(req.params.id))) throw new AppError('not_found', `no webhook ${req.params.id}`);
    await ctx.store.requeueWebhooks([req.params.id], Date.now());
    return reply.code(202).send({ id: req.params.id, status: 'requeued' });
  });

  app.get('/v1/alerts', {
    config: { scope: 'admin' },
    schema: { tags: ['ops'], summary: 'Alert rules and their state (operators)' },
  }, async (req) => {
    requireOperator(req.principal, 'alerts');
    return { data: (await ctx.store.listAlerts()).map((a) => ({ rule: a.rule, state: a.state, detail: a.detail, fired_at: iso(a.fired_at), resolved_at: iso(a.resolved_at) })) };
  });
}
