// /v1/relay-rules (admin): an inbound number → an ordered chain of destinations.
// Deleting deactivates (the audit keeps pointing at the rule). /v1/relays: the audit of
// every relayed text, with each destination tried and its outcome.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../app.ts';
import { AppError } from '../../../domain/errors.ts';
import { requirePhone as e164 } from '../../../domain/phone.ts';
import type { RelayAttemptRow, RelayRow, RelayRuleRow, Store } from '../../../store/store.ts';
import { DEFAULT_TEMPLATE, templateProblem } from '../../../relay/template.ts';
import { decodeCursor, encodeCursor } from './messages.ts';

export interface RelayRuleInput { number: string; destinations: string[]; template?: string; active?: boolean; account_id?: string }

const MAX_DESTINATIONS = 10;
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
    template: { type: 'string', minLength: 1, maxLength: 500 }, active: { type: 'boolean' }, account_id: { type: 'string' },
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

/** Validates and writes a relay rule (API and `switchboard apply`). */
export async function upsertRelayRule(store: Store, input: RelayRuleInput): Promise<RelayRuleRow> {
  const number = e164(input.number, 'number');
  const destinations = input.destinations.map((d) => e164(d, 'destinations'));
  if (destinations.length === 0 || destinations.length > MAX_DESTINATIONS) throw new AppError('validation_error', `give 1 to ${MAX_DESTINATIONS} destinations`, { field: 'destinations' });
  if (new Set(destinations).size !== destinations.length) throw new AppError('validation_error', 'a destination is listed twice', { field: 'destinations' });
  const numbers = await store.listNumbers();
  for (const d of destinations) {
    // Relaying to a number we own would feed the text straight back in: a loop.
    if (d === number || numbers.some((n) => n.number === d)) throw new AppError('invalid_relay_destination', `${d} is one of our own numbers`, { field: 'destinations' });
  }
  const template = input.template ?? DEFAULT_TEMPLATE;
  const problem = templateProblem(template);
  if (problem) throw new AppError('validation_error', problem, { field: 'template' });
  const now = Date.now();
  const existing = await store.getRelayRule(number);
  const account = input.account_id ?? existing?.account_id ?? numbers.find((n) => n.number === number)?.account_id ?? 'default';
  await store.ensureAccount(account, account, now);
  const row: RelayRuleRow = {
    number, account_id: account, destinations: JSON.stringify(destinations), template, active: input.active === false ? 0 : 1,
    created_at: existing?.created_at ?? now, updated_at: now,
  };
  await store.upsertRelayRule(row);
  return row;
}

export async function relayRuleRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const params = { type: 'object', properties: { number: { type: 'string' } } } as const;
  const find = async (n: string) => {
    const row = await ctx.store.getRelayRule(n);
    if (!row) throw new AppError('not_found', `no relay rule for ${n}`);
    return row;
  };

  app.post<{ Body: RelayRuleInput }>('/v1/relay-rules', {
    config: { scope: 'admin' },
    schema: { tags: ['relay'], summary: 'Create or replace the relay rule of an inbound number', body: inputSchema, response: { 201: ruleSchema } },
  }, async (req, reply) => reply.code(201).send(presentRule(await upsertRelayRule(ctx.store, req.body))));

  app.get('/v1/relay-rules', {
    config: { scope: 'admin' },
    schema: { tags: ['relay'], summary: 'List relay rules', response: { 200: { type: 'object', properties: { data: { type: 'array', items: ruleSchema }, next_cursor: { type: ['string', 'null'] } } } } },
  }, async () => ({ data: (await ctx.store.listRelayRules()).map(presentRule), next_cursor: null }));

  app.get<{ Params: { number: string } }>('/v1/relay-rules/:number', {
    config: { scope: 'admin' }, schema: { tags: ['relay'], summary: 'One relay rule', params, response: { 200: ruleSchema } },
  }, async (req) => presentRule(await find(req.params.number)));

  app.delete<{ Params: { number: string } }>('/v1/relay-rules/:number', {
    config: { scope: 'admin' }, schema: { tags: ['relay'], summary: 'Deactivate a relay rule (the record is kept)', params, response: { 200: ruleSchema } },
  }, async (req) => {
    const row = { ...(await find(req.params.number)), active: 0, updated_at: Date.now() };
    await ctx.store.upsertRelayRule(row);
    return presentRule(row);
  });

  app.get<{ Querystring: { number?: string; limit?: number; cursor?: string } }>('/v1/relays', {
    config: { scope: 'read' },
    schema: {
      tags: ['relay'], summary: 'The relay audit: each relayed text, every destination tried and its outcome, newest first',
      querystring: { type: 'object', additionalProperties: false, properties: { number: { type: 'string' }, limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 }, cursor: { type: 'string' } } },
      response: { 200: { type: 'object', properties: { data: { type: 'array', items: relaySchema }, next_cursor: { type: ['string', 'null'] } } } },
    },
  }, async (req) => {
    const limit = req.query.limit ?? 50;
    const rows = await ctx.store.listRelays({
      accountId: req.principal.scopes.has('admin') ? undefined : req.principal.accountId,
      number: req.query.number ? e164(req.query.number, 'number') : undefined,
      before: req.query.cursor ? decodeCursor(req.query.cursor, 'rly') : undefined, limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const attempts = await ctx.store.listRelayAttempts(page.map((r) => r.id));
    return { data: page.map((r) => presentRelay(r, attempts)), next_cursor: rows.length > limit ? encodeCursor(page[page.length - 1].id) : null };
  });

  app.get<{ Params: { id: string } }>('/v1/relays/:id', {
    config: { scope: 'read' },
    schema: { tags: ['relay'], summary: 'One relayed text with its attempts', params: { type: 'object', properties: { id: { type: 'string' } } }, response: { 200: relaySchema } },
  }, async (req) => {
    const r = await ctx.store.getRelay(req.params.id);
    if (!r || (!req.principal.scopes.has('admin') && r.account_id !== req.principal.accountId)) throw new AppError('not_found', `no relay ${req.params.id}`);
    return presentRelay(r, await ctx.store.listRelayAttempts([r.id]));
  });
}
