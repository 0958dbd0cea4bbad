// Provider webhooks: POST /webhooks/:provider_id/status|inbound. The signature is checked
// against the public URL the provider called, the request is stored raw, and the answer
// goes back at once; parsing and applying happen in the webhook processor.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app.ts';
import { AppError } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';

const KEPT_HEADERS = /^(content-type|user-agent|x-.*|i-twilio-.*)$/i;

export async function webhookRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  await app.register(async (w) => {
    // The body must reach the store byte for byte: no parsing here.
    w.removeAllContentTypeParsers();
    w.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 256 * 1024 }, (_req, body, done) => done(null, body));

    w.post<{ Params: { provider_id: string; kind: 'status' | 'inbound' }; Body: string }>('/webhooks/:provider_id/:kind', {
      schema: {
        tags: ['webhooks'], summary: 'Provider callbacks (signature-checked, stored raw)', security: [],
        params: { type: 'object', properties: { provider_id: { type: 'string' }, kind: { type: 'string', enum: ['status', 'inbound'] } } },
      },
    }, async (req, reply) => {
      const provider = ctx.registry.get(req.params.provider_id);
      if (!provider) throw new AppError('not_found', `no active provider ${req.params.provider_id}`);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (KEPT_HEADERS.test(k) && typeof v === 'string') headers[k.toLowerCase()] = v;
      const url = ctx.config.publicUrl + req.url;
      const body = typeof req.body === 'string' ? req.body : '';
      if (!provider.adapter.verifySignature({ id: newId('whk'), providerId: provider.id, kind: req.params.kind, url, headers, body, receivedAt: Date.now() })) {
        req.log.warn({ provider: provider.id, kind: req.params.kind }, 'webhook signature rejected');
        throw new AppError('invalid_signature', 'webhook signature missing or invalid');
      }
      await ctx.ingestWebhook({ providerId: provider.id, kind: req.params.kind, url, headers, body });
      const answer = provider.adapter.webhookResponse?.(req.params.kind) ?? { contentType: 'text/plain', body: '' };
      return reply.code(200).header('content-type', answer.contentType).send(answer.body);
    });
  });
}
