// Voice notifications: POST /v1/calls (and the notify-style POST /notify/voice) place a
// text-to-speech call. A call is a message on the voice channel: the same ledger row,
// idempotency, retries, failover to the next voice-capable number and provider, audit of
// every attempt, status callbacks (the call's own, applied like receipts) and callbacks to
// the caller. With fallback_sms, a call that ends busy, no-answer or failed is sent as a text.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import { AppError } from '../../../domain/errors.ts';
import type { SendInput } from '../../../intake/accept-message.ts';
import { presentMessage } from '../../../public/present.ts';
import { notifyAnswer } from '../compat.ts';
import { callerOf } from '../../caller.ts';

interface CallBody {
  to: string; say?: string; template?: string; variables?: Record<string, string>; voice?: string; language?: string;
  from?: string; country?: string; callback_url?: string; fallback_sms?: boolean; metadata?: Record<string, string>;
}

const callBody = {
  type: 'object', required: ['to'], additionalProperties: false,
  properties: {
    to: { type: 'string', maxLength: 32 }, say: { type: 'string', maxLength: 4000, description: 'what the call says (text-to-speech)' },
    template: { type: 'string', maxLength: 64 }, variables: { type: 'object', maxProperties: 50, additionalProperties: { type: 'string', maxLength: 1000 } },
    voice: { type: 'string', maxLength: 64, description: "the provider's voice name (Twilio: alice, Polly.Joanna, …)" }, language: { type: 'string', maxLength: 16, description: 'e.g. en-US' },
    from: { type: 'string', maxLength: 32 }, country: { type: 'string', pattern: '^[A-Z]{2}$' }, callback_url: { type: 'string', maxLength: 2048 },
    fallback_sms: { type: 'boolean', description: 'send the text as an SMS if the call ends busy, no-answer or failed' },
    metadata: { type: 'object', maxProperties: 20, propertyNames: { maxLength: 40, pattern: '^[A-Za-z0-9_.-]+$' }, additionalProperties: { type: 'string', maxLength: 500 } },
  },
} as const;

function toSend(b: CallBody): SendInput {
  if (b.say === undefined && b.template === undefined) throw new AppError('validation_error', 'give `say` (or a template)', { field: 'say' });
  const { say, ...rest } = b;
  return { ...rest, ...(say !== undefined ? { body: say } : {}), channel: 'voice' };
}

export async function callRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.post<{ Body: CallBody; Headers: { 'idempotency-key'?: string } }>('/v1/calls', {
    config: { scope: 'send' },
    schema: {
      tags: ['calls'], summary: 'Place a text-to-speech call (a message on the voice channel: poll it at GET /v1/messages/:id)',
      body: callBody, headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 255 } } },
      response: { 202: { $ref: 'Message#' } },
    },
  }, async (req, reply) => {
    const p = req.principal;
    const { message } = await ctx.intake.accept(toSend(req.body), callerOf(p), req.headers['idempotency-key']);
    return reply.code(202).send(presentMessage(message));
  });

  app.post<{ Body: CallBody }>('/notify/voice', {
    config: { scope: 'send' },
    schema: { tags: ['compatibility'], summary: 'Place a call with failover and wait up to 5 s for it to be placed: 200 with the path, 202 if still under way, 502 if every route failed', body: callBody },
  }, async (req, reply) => {
    const p = req.principal;
    const { message } = await ctx.intake.accept(toSend(req.body), callerOf(p));
    return notifyAnswer(ctx, message, reply);
  });
}
