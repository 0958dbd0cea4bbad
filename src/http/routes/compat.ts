// Compatibility routes (DESIGN.md §5) for users of the serverless relay Switchboard grew
// from: thin aliases over the v1 services, authenticated like the rest of the API.
// (POST /sms/inbound lives with the provider webhooks: it needs the raw body.)
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { MessageRow } from '../../store/store.ts';
import type { AppContext } from '../context.ts';
import { AppError } from '../../domain/errors.ts';
import { requirePhone as phone } from '../../domain/phone.ts';
import { presentAttempt, presentMessage } from '../../public/present.ts';
import { isSendOutcome } from '../waiters.ts';
import { sendBodySchema } from '../schemas.ts';
import type { SendInput } from '../../intake/accept-message.ts';
import { presentRelay, presentRule, relaySchema } from './v1/relay-rules.ts';
import { statusReport } from './ops.ts';
import { readScope } from '../../domain/actor.ts';
import { listNumbers } from '../../services/numbers.ts';
import { callerOf } from '../caller.ts';

const NOTIFY_WAIT_MS = 5_000;
const DAY_MS = 86_400_000;

export async function compatRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const recentRelays = async (accountId: string | undefined, limit: number) => {
    const rows = await ctx.store.listRelays({ accountId, limit });
    const attempts = await ctx.store.listRelayAttempts(rows.map((r) => r.id));
    return rows.map((r) => presentRelay(r, attempts));
  };
  const relayCounts = async (accountId?: string) => Object.fromEntries((await ctx.store.countRelays(Date.now() - DAY_MS, accountId)).map((c) => [c.status, c.n]));

  app.post<{ Body: { to: string; from: string; body: string }; Headers: { 'idempotency-key'?: string } }>('/sms/relay', {
    config: { scope: 'admin' },
    schema: {
      tags: ['compatibility'], summary: 'Manual relay: run the relay rule of `to` as if `from` had texted it `body`',
      body: {
        type: 'object', required: ['to', 'from', 'body'], additionalProperties: false,
        properties: { to: { type: 'string', description: 'the business number whose rule applies' }, from: { type: 'string', description: 'the original sender' }, body: { type: 'string', minLength: 1, maxLength: 1600 } },
      },
      headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 255 } } },
      response: { 202: relaySchema },
    },
  }, async (req, reply) => {
    const key = req.headers['idempotency-key'];
    // Only the rule of one of the caller's own numbers may be run (an operator: any).
    const rule = await ctx.store.getRelayRule(phone(req.body.to, 'to'));
    if (rule && !req.principal.operator && rule.account_id !== req.principal.accountId) throw new AppError('not_found', `no active relay rule for ${req.body.to} (see /v1/relay-rules)`);
    const r = await ctx.relays.relay({
      number: phone(req.body.to, 'to'), source: phone(req.body.from, 'from'), body: req.body.body, inboundId: null,
      providerId: key ? 'manual' : null, providerMessageId: key ?? null,
    });
    if (r.kind === 'no_rule') throw new AppError('not_found', `no active relay rule for ${req.body.to} (see /v1/relay-rules)`);
    if (r.kind === 'duplicate') throw new AppError('conflict', 'a relay with this Idempotency-Key was already made (see GET /sms/status)');
    return reply.code(202).send(presentRelay(r.relay, await ctx.store.listRelayAttempts([r.relay.id])));
  });

  const accountQuery = { type: 'object', additionalProperties: false, properties: { account_id: { type: 'string' } } } as const;

  app.get<{ Querystring: { account_id?: string } }>('/sms/status', {
    config: { scope: 'read' },
    schema: { tags: ['compatibility'], summary: 'Relay audit (the account\'s recent relays and their attempts, counts over 24 h) and provider health', querystring: accountQuery },
  }, async (req) => {
    const account = readScope(req.principal, req.query.account_id);
    return { relays: { last_24h: await relayCounts(account), recent: await recentRelays(account, 20) }, ...(await statusReport(ctx, req.principal, account)) };
  });

  app.post<{ Body: SendInput }>('/notify/sms', {
    config: { scope: 'send' },
    schema: {
      tags: ['compatibility'],
      summary: 'Send with failover and wait up to 5 s: 200 with the path that succeeded, 202 if still under way, 502 if every route failed',
      body: sendBodySchema,
    },
  }, async (req, reply) => {
    const { message } = await ctx.intake.accept(req.body, callerOf(req.principal));
    return notifyAnswer(ctx, message, reply);
  });

  app.post<{ Querystring: { account_id?: string } }>('/relay/status', {
    config: { scope: 'admin' },
    schema: { tags: ['compatibility'], summary: 'Relay health and routing state: the account\'s rules, relay counts over 24 h, provider health and the numbers it may send from', querystring: accountQuery },
  }, async (req) => {
    const account = readScope(req.principal, req.query.account_id);
    const [rules, numbers, report] = await Promise.all([ctx.store.listRelayRules(account), listNumbers(ctx.store, req.principal, account), statusReport(ctx, req.principal, account)]);
    return {
      rules: rules.map(presentRule),
      relays: { last_24h: await relayCounts(account) },
      providers: report.providers,
      numbers: numbers.filter((n) => n.active === 1).map((n) => ({ number: n.number, provider_id: n.provider_id, pool: n.pool, rate_per_second: n.rate_per_second })),
      queue: report.queue,
      ...(report.alerts ? { alerts: report.alerts } : {}),
    };
  });
}

/**
 * The notify-style answer (POST /notify/sms, /notify/voice): waits up to 5 s for the send
 * outcome; 200 with the path that succeeded, 202 if still under way, 502 if every route failed.
 */
export async function notifyAnswer(ctx: AppContext, message: MessageRow, reply: FastifyReply) {
  const done = isSendOutcome(message.status) ? message : await ctx.waiters.wait(message.id, Math.min(NOTIFY_WAIT_MS, ctx.config.maxWaitSeconds * 1000));
  const final = done ?? message;
  const attempts = (await ctx.store.listAttempts(final.id)).map(presentAttempt);
  const success = attempts.find((a) => a.outcome === 'sent');
  const answer = {
    ok: !!success, id: final.id, status: final.status,
    path: success ? { provider: success.provider, from: success.from, failover: attempts.length > 1 } : null,
    message: presentMessage(final), attempts,
  };
  if (success) return reply.code(200).send(answer);
  if (!done) return reply.code(202).send(answer);
  return reply.code(502).send({ ...answer, error: { code: final.error_code ?? 'send_failed', message: final.error_message ?? 'every route failed' } });
}
