// Provider webhooks: POST /webhooks/:provider_id/status|inbound. The signature is checked
// against the public URL the provider called, the request is stored raw, and the answer
// goes back at once; parsing and applying happen in the webhook processor.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ProviderEntry } from '../../providers/registry.ts';
import type { AppContext } from '../../app.ts';
import { AppError } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';

const KEPT_HEADERS = /^(content-type|user-agent|x-.*|i-twilio-.*)$/i;

export async function webhookRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  await app.register(async (w) => {
    // The body must reach the store byte for byte: no parsing here.
    w.removeAllContentTypeParsers();
    w.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 256 * 1024 }, (_req, body, done) => done(null, body));

    const receive = async (provider: ProviderEntry, kind: 'status' | 'inbound', req: FastifyRequest, reply: FastifyReply) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (KEPT_HEADERS.test(k) && typeof v === 'string') headers[k.toLowerCase()] = v;
      const url = ctx.config.publicUrl + req.url;
      const body = typeof req.body === 'string' ? req.body : '';
      if (!provider.adapter.verifySignature({ id: newId('whk'), providerId: provider.id, kind, url, headers, body, receivedAt: Date.now() })) {
        req.log.warn({ provider: provider.id, kind }, 'webhook signature rejected');
        throw new AppError('invalid_signature', 'webhook signature missing or invalid');
      }
      await ctx.ingestWebhook({ providerId: provider.id, kind, url, headers, body });
      const answer = provider.adapter.webhookResponse?.(kind) ?? { contentType: 'text/plain', body: '' };
      return reply.code(200).header('content-type', answer.contentType).send(answer.body);
    };

    w.post<{ Params: { provider_id: string; kind: 'status' | 'inbound' }; Body: string }>('/webhooks/:provider_id/:kind', {
      schema: {
        tags: ['webhooks'], summary: 'Provider callbacks (signature-checked, stored raw)', security: [],
        params: { type: 'object', properties: { provider_id: { type: 'string' }, kind: { type: 'string', enum: ['status', 'inbound'] } } },
      },
    }, async (req, reply) => {
      const provider = ctx.registry.get(req.params.provider_id);
      if (!provider) throw new AppError('not_found', `no active provider ${req.params.provider_id}`);
      return receive(provider, req.params.kind, req, reply);
    });

    // Compatibility (DESIGN.md §5): the relay this product grew from took Twilio's inbound
    // webhook here. The same path as /webhooks/<id>/inbound: checked, stored raw, then
    // opt-out, masking and relay rules apply; the answer is Twilio's empty TwiML.
    w.post<{ Querystring: { provider?: string }; Body: string }>('/sms/inbound', {
      schema: {
        tags: ['compatibility'], summary: 'Twilio inbound SMS webhook (alias of /webhooks/{provider_id}/inbound for the Twilio provider)', security: [],
        querystring: { type: 'object', properties: { provider: { type: 'string', description: 'which provider signed it; default: the only active Twilio provider' } } },
      },
    }, async (req, reply) => {
      const twilio = ctx.registry.active().filter((p) => p.kind === 'twilio');
      const provider = req.query.provider ? ctx.registry.get(req.query.provider) : twilio.length === 1 ? twilio[0] : undefined;
      if (!provider) {
        throw new AppError('not_found', req.query.provider ? `no active provider ${req.query.provider}` : `${twilio.length} active Twilio providers: name one with ?provider=`);
      }
      return receive(provider, 'inbound', req, reply);
    });
  });
}
