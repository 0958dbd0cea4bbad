// /v1/relay-rules (admin): an inbound number of the caller's account → an ordered chain
// of destinations (rules: services/relay-rules.ts). /v1/relays: the audit of every
// relayed text, with each destination tried and its outcome, for the caller's account.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import { AppError } from '../../../domain/errors.ts';
import { canSee, readScope } from '../../../domain/actor.ts';
import { requirePhone as e164 } from '../../../domain/phone.ts';
import type { RelayAttemptRow, RelayRow, RelayRuleRow } from '../../../store/store.ts';
import { deactivateRelayRule, getRelayRule, MAX_DESTINATIONS, upsertRelayRule, type RelayRuleInput } from '../../../services/relay-rules.ts';
import { decodeCursor, pageByKey, pageFetched, pageQuery, type PageQuery } from '../../paging.ts';
const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

const ruleSchema = {
  type: 'object',
  properties: {
    number: { type: 'string' }, account_id: { type: 'string' }, destinations: { type: 'array', items: { type: 'string' } }, template: { type: 'string' },
    active: { type: 'boolean' }, created_at: { type: 'string' }, updated_at: { type: 'string' },
  },
} as const;

const inputSchema = {
  type: 'object', required: ['number', 'destinations'], additionalProperties: false,
  properties: {
    number: { type: 'string', maxLength: 32 }, destinations: { type: 'array', minItems: 1, maxItems: MAX_DESTINATIONS, items: { type: 'string', maxLength: 32 } },
    template: { type: 'string', minLength: 1, maxLength: 500 }, active: { type: 'boolean' },
    account_id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'operators only: the account the rule belongs to' },
  },
} as const;

const attemptSchema = {
  type: 'object',
  properties: {
    position: { type: 'integer' }, destination: { type: 'string' }, message_id: { type: ['string', 'null'] }, outcome: { type: 'string' },
    detail: { type: ['string', 'null'] }, started_at: { type: 'string' }, finished_at: { type: ['string', 'null'] },
  },
} as const;

export const relaySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, number: { type: 'string' }, source: { type: 'string' }, body: { type: 'string' }, inbound_id: { type: ['string', 'null'] },
    provider_id: { type: ['string', 'null'] }, provider_message_id: { type: ['string', 'null'] }, status: { type: 'string' }, reason: { type: ['string', 'null'] },
    hops: { type: 'integer' }, destinations: { type: 'array', items: { type: 'string' } }, attempts: { type: 'array', items: attemptSchema },
    created_at: { type: 'string' }, updated_at: { type: 'string' },
  },
} as const;

export function presentRule(r: RelayRuleRow) {
  return {
    number: r.number, account_id: r.account_id, destinations: JSON.parse(r.destinations) as string[], template: r.template, active: r.active === 1,
    created_at: iso(r.created_at)!, updated_at: iso(r.updated_at)!,
  };
}

export function presentRelay(r: RelayRow, attempts: RelayAttemptRow[]) {
  return {
    id: r.id, number: r.number, source: r.source, body: r.body, inbound_id: r.inbound_id, provider_id: r.provider_id, provider_message_id: r.provider_message_id,
    status: r.status, reason: r.reason, hops: r.hops, destinations: JSON.parse(r.destinations) as string[],
    attempts: attempts.filter((a) => a.relay_id === r.id).map((a) => ({
      position: a.position, destination: a.destination, message_id: a.message_id, outcome: a.outcome, detail: a.detail,
      started_at: iso(a.started_at)!, finished_at: iso(a.finished_at),
    })),
    created_at: iso(r.created_at)!, updated_at: iso(r.updated_at)!,
  };
}

export async function relayRuleRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const params = { type: 'object', properties: { number: { type: 'string' } } } as const;
  const implicitOwner = (n: string) => ctx.router.number(n)?.accountId;

  app.post<{ Body: RelayRuleInput }>('/v1/relay-rules', {
    config: { scope: 'admin' },
    schema: { tags: ['relay'], summary: 'Create or replace the relay rule of one of the account\'s inbound numbers', body: inputSchema, response: { 201: ruleSchema } },
  }, async (req, reply) => reply.code(201).send(presentRule(await upsertRelayRule(ctx.store, req.principal, req.body, implicitOwner))));

  app.get<{ Querystring: { account_id?: string } & PageQuery }>('/v1/relay-rules', {
    config: { scope: 'admin' },
    schema: {
      tags: ['relay'], summary: 'List the account\'s relay rules (an operator: every account\'s, or one with ?account_id=)',
      querystring: { type: 'object', additionalProperties: false, properties: { account_id: { type: 'string' }, ...pageQuery } },
      response: { 200: { type: 'object', properties: { data: { type: 'array', items: ruleSchema }, next_cursor: { type: ['string', 'null'] } } } },
    },
  }, async (req) => pageByKey(await ctx.store.listRelayRules(readScope(req.principal, req.query.account_id)), (r) => r.number, 'rrl', req.query, presentRule));

  app.get<{ Params: { number: string } }>('/v1/relay-rules/:number', {
    config: { scope: 'admin' }, schema: { tags: ['relay'], summary: 'One relay rule', params, response: { 200: ruleSchema } },
  }, async (req) => presentRule(await getRelayRule(ctx.store, req.principal, req.params.number)));

  app.delete<{ Params: { number: string } }>('/v1/relay-rules/:number', {
    config: { scope: 'admin' }, schema: { tags: ['relay'], summary: 'Deactivate a relay rule (the record is kept)', params, response: { 200: ruleSchema } },
  }, async (req) => presentRule(await deactivateRelayRule(ctx.store, req.principal, req.params.number)));

  app.get<{ Querystring: { number?: string; account_id?: string } & PageQuery }>('/v1/relays', {
    config: { scope: 'read' },
    schema: {
      tags: ['relay'], summary: 'The relay audit: each relayed text, every destination tried and its outcome, newest first',
      querystring: { type: 'object', additionalProperties: false, properties: { number: { type: 'string' }, account_id: { type: 'string' }, ...pageQuery } },
      response: { 200: { type: 'object', properties: { data: { type: 'array', items: relaySchema }, next_cursor: { type: ['string', 'null'] } } } },
    },
  }, async (req) => {
    const limit = req.query.limit ?? 50;
    const rows = await ctx.store.listRelays({
      accountId: readScope(req.principal, req.query.account_id),
      number: req.query.number ? e164(req.query.number, 'number') : undefined,
      before: req.query.cursor ? decodeCursor(req.query.cursor, 'rly') : undefined, limit: limit + 1,
    });
    const attempts = await ctx.store.listRelayAttempts(rows.slice(0, limit).map((r) => r.id));
    return pageFetched(rows, limit, (r) => r.id, (r) => presentRelay(r, attempts));
  });

  app.get<{ Params: { id: string } }>('/v1/relays/:id', {
    config: { scope: 'read' },
    schema: { tags: ['relay'], summary: 'One relayed text with its attempts', params: { type: 'object', properties: { id: { type: 'string' } } }, response: { 200: relaySchema } },
  }, async (req) => {
    const r = await ctx.store.getRelay(req.params.id);
    if (!r || !canSee(req.principal, r.account_id)) throw new AppError('not_found', `no relay ${req.params.id}`);
    return presentRelay(r, await ctx.store.listRelayAttempts([r.id]));
  });
}
