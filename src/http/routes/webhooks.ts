// Provider webhooks: POST /webhooks/:provider_id/status|inbound. The signature is checked
// against the public URL the provider called, the request is stored raw, and the answer
// goes back at once; parsing and applying happen in the webhook processor.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ProviderEntry } from '../../providers/registry.ts';
import type { AppContext } from '../context.ts';
import { AppError } from '../../domain/errors.ts';

// What is stored with the raw body for replay: enough to parse it again. The adapter's
// check sees every header (a Vonage JWT rides in Authorization), but credentials are
// never written to the store.
const KEPT_HEADERS = /^(content-type|user-agent|x-.*|i-twilio-.*)$/i;

export async function webhookRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  await app.register(async (w) => {
    // The body must reach the store byte for byte: no parsing here.
    w.removeAllContentTypeParsers();
    w.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 256 * 1024 }, (_req, body, done) => done(null, body));

    const receive = async (provider: ProviderEntry, kind: 'status' | 'inbound', req: FastifyRequest, reply: FastifyReply) => {
      const all: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) all[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
      const url = ctx.config.publicUrl + req.url;
      const body = typeof req.body === 'string' ? req.body : '';
      const request = { kind, method: req.method, url, headers: all, body };
      if (!(await provider.adapter.verify(request))) {
        req.log.warn({ provider: provider.id, kind }, 'webhook signature rejected');
        throw new AppError('invalid_signature', 'webhook signature missing or invalid');
      }
      const kept = Object.fromEntries(Object.entries(all).filter(([k]) => KEPT_HEADERS.test(k)));
      await ctx.ingestWebhook({ providerId: provider.id, kind, url, headers: kept, body });
      const answer = provider.adapter.respond?.(request) ?? { contentType: 'text/plain', body: '' };
      return reply.code(answer.status ?? 200).header('content-type', answer.contentType).send(answer.body);
    };

    // POST for most providers; GET too, for providers that can deliver their fields in the
    // query string (Vonage, as its dashboard allows). A GET is stored with its full URL.
    w.route<{ Params: { provider_id: string; kind: 'status' | 'inbound' }; Body: string }>({
      method: ['POST', 'GET'], url: '/webhooks/:provider_id/:kind',
      schema: {
        tags: ['webhooks'], summary: 'Provider callbacks (signature-checked, stored raw)', security: [],
        params: { type: 'object', properties: { provider_id: { type: 'string' }, kind: { type: 'string', enum: ['status', 'inbound'] } } },
      },
      handler: async (req, reply) => {
        const provider = ctx.registry.get(req.params.provider_id);
        if (!provider) throw new AppError('not_found', `no provider ${req.params.provider_id}`);
        return receive(provider, req.params.kind, req, reply);
      },
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
      const candidates = ctx.registry.active().filter((p) => p.legacyInbound);
      const provider = req.query.provider ? ctx.registry.get(req.query.provider) : candidates.length === 1 ? candidates[0] : undefined;
      if (!provider) {
        throw new AppError('not_found', req.query.provider ? `no active provider ${req.query.provider}` : `${candidates.length} active Twilio providers: name one with ?provider=`);
      }
      return receive(provider, 'inbound', req, reply);
    });
  });
}
