// The framework's own ceiling (npm run bench, row "Fastify alone"): a server with intake's
// route as Fastify sees it (the same server options, schemas, JSON parser, auth hook and
// onSend hook, answering 202 with a message serialized through the Message schema) and
// nothing behind it: no key lookup, no validation of the number, no store. Its rate is
// what POST /v1/messages could reach on this machine were the rest of intake free.
import Fastify from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { errorSchema, messageSchema, sendBodySchema } from '../src/http/schemas.ts';
import { presentMessage } from '../src/public/present.ts';
import type { MessageRow } from '../src/store/store.ts';

const KEY = Buffer.from(`Bearer ${process.env.SWITCHBOARD_ADMIN_KEY ?? ''}`);
const app = Fastify({
  logger: false, bodyLimit: 1024 * 1024, trustProxy: true, return503OnClosing: false,
  ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
});
const json = app.getDefaultJsonParser('error', 'error');
app.removeContentTypeParser('application/json');
app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
  if (body === '') return done(null, undefined);
  json(req, body as string, done);
});
app.addSchema(errorSchema);
app.addSchema(messageSchema);
app.addHook('onSend', (_req, _reply, payload, done) => done(null, payload));
app.addHook('onRequest', async (req, reply) => {
  if (req.url === '/healthz') return;
  const given = Buffer.from(req.headers.authorization ?? '');
  if (given.length !== KEY.length || !timingSafeEqual(given, KEY)) return reply.code(401).send({ error: { code: 'unauthorized', message: 'no' } });
});
const now = Date.now();
const row = {
  id: 'msg_01JD5Z9Q8M0000000000000000', account_id: 'acc_default', api_key_id: null, to_number: '+14155550100', from_number: null, requested_from: null,
  country: 'US', body: 'Your verification code is 123456', encoding: 'GSM-7', segments: 1, price: '0.0079', currency: 'USD', status: 'queued',
  provider_id: null, provider_message_id: null, callback_url: null, metadata: null, idempotency_key: null, send_at: null, expires_at: null,
  attempts: 0, throttled_attempts: 0, next_attempt_at: now, lease_owner: null, error_code: null, error_message: null, provider_error_code: null,
  created_at: now, updated_at: now, sent_at: null, final_at: null, template_id: null, template_version: null, channel: 'sms', voice_options: null,
} as unknown as MessageRow;
app.get('/healthz', async () => ({ ok: true }));
app.post('/v1/messages', {
  schema: {
    body: sendBodySchema,
    querystring: { type: 'object', additionalProperties: false, properties: { wait: { type: 'number', minimum: 0, maximum: 30 } } },
    headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 255 } } },
    response: { 202: { $ref: 'Message#' }, 409: { $ref: 'Error#' }, 422: { $ref: 'Error#' } },
  },
}, async (req, reply) => reply.code(202).send(presentMessage({ ...row, to_number: (req.body as { to: string }).to })));
await app.listen({ port: Number(process.env.PORT), host: process.env.HOST ?? '127.0.0.1' });
