// /v1/numbers: the pool of senders routing chooses from. Operators add numbers and
// assign them to accounts; an account's admin may switch its own numbers on and off and
// set their capabilities; every key reads its own numbers and the shared pool (what it
// may name as `from`). Deleting deactivates: the record is kept. Rules: services/numbers.ts.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import type { NumberRow } from '../../../store/store.ts';
import { readScope } from '../../../domain/actor.ts';
import { CAPABILITIES, deactivateNumber, getNumber, listNumbers, NUMBER_TYPES, POOLS, upsertNumber, type NumberInput } from '../../../services/numbers.ts';
import { pageByKey, pageQuery, type PageQuery } from '../../paging.ts';

const numberSchema = {
  type: 'object',
  properties: {
    number: { type: 'string' }, provider_id: { type: 'string' }, account_id: { type: 'string' }, country: { type: ['string', 'null'] },
    type: { type: 'string', enum: NUMBER_TYPES }, capabilities: { type: 'array', items: { type: 'string' } }, rate_per_second: { type: 'number' },
    pool: { type: 'string' }, active: { type: 'boolean' }, inbound_url: { type: ['string', 'null'] }, created_at: { type: 'string' }, updated_at: { type: 'string' },
  },
} as const;

const inputSchema = {
  type: 'object', required: ['number', 'provider_id'], additionalProperties: false,
  properties: {
    number: { type: 'string', maxLength: 32 }, provider_id: { type: 'string' }, account_id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' }, country: { type: 'string', pattern: '^[A-Z]{2}$' },
    type: { type: 'string', enum: NUMBER_TYPES }, capabilities: { type: 'array', items: { type: 'string', enum: CAPABILITIES } },
    rate_per_second: { type: 'number', exclusiveMinimum: 0 }, pool: { type: 'string', enum: POOLS }, active: { type: 'boolean' },
    inbound_url: { type: ['string', 'null'], maxLength: 2048, description: 'where the texts this number receives are posted as signed `message.inbound` webhooks (null: nowhere)' },
  },
} as const;

export function presentNumber(n: NumberRow) {
  return {
    number: n.number, provider_id: n.provider_id, account_id: n.account_id, country: n.country, type: n.type,
    capabilities: JSON.parse(n.capabilities) as string[], rate_per_second: n.rate_per_second, pool: n.pool, active: n.active === 1,
    inbound_url: n.inbound_url ?? null, created_at: new Date(n.created_at).toISOString(), updated_at: new Date(n.updated_at).toISOString(),
  };
}

export async function numberRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const params = { type: 'object', properties: { number: { type: 'string' } } } as const;

  app.post<{ Body: NumberInput }>('/v1/numbers', {
    config: { scope: 'admin' },
    schema: {
      tags: ['numbers'], summary: 'Add or replace a number in the pool',
      description: 'Operators add numbers and set everything; an account admin may change only `active`, `capabilities` and `inbound_url` of its own numbers. Inbound webhooks are signed with the signing secret of the key that set `inbound_url`.',
      body: inputSchema, response: { 201: numberSchema },
    },
  }, async (req, reply) => {
    // Refused like any callback URL that could reach a private address (SWITCHBOARD_CALLBACK_ALLOWLIST).
    if (typeof req.body.inbound_url === 'string') ctx.guard.checkAtIntake(req.body.inbound_url, 'inbound_url');
    const row = await upsertNumber(ctx.store, req.principal, req.body);
    await ctx.router.refresh();
    return reply.code(201).send(presentNumber(row));
  });

  app.get<{ Querystring: { provider_id?: string; pool?: string; account_id?: string } & PageQuery }>('/v1/numbers', {
    config: { scope: 'read' },
    schema: {
      tags: ['numbers'], summary: 'List numbers: the account\'s own and the shared pool (an operator sees every account\'s, or one with ?account_id=)',
      querystring: { type: 'object', additionalProperties: false, properties: { provider_id: { type: 'string' }, pool: { type: 'string' }, account_id: { type: 'string' }, ...pageQuery } },
      response: { 200: { type: 'object', properties: { data: { type: 'array', items: numberSchema }, next_cursor: { type: ['string', 'null'] } } } },
    },
  }, async (req) => {
    const q = req.query;
    const account = q.account_id === undefined ? undefined : readScope(req.principal, q.account_id);
    const rows = (await listNumbers(ctx.store, req.principal, account)).filter((n) => (!q.provider_id || n.provider_id === q.provider_id) && (!q.pool || n.pool === q.pool));
    return pageByKey(rows, (n) => n.number, 'num', q, presentNumber);
  });

  app.get<{ Params: { number: string } }>('/v1/numbers/:number', {
    config: { scope: 'read' }, schema: { tags: ['numbers'], summary: 'One number', params, response: { 200: numberSchema } },
  }, async (req) => presentNumber(await getNumber(ctx.store, req.principal, req.params.number)));

  app.delete<{ Params: { number: string } }>('/v1/numbers/:number', {
    config: { scope: 'admin' }, schema: { tags: ['numbers'], summary: 'Deactivate a number; the record is kept (operators, or the admin of the account that owns it)', params, response: { 200: numberSchema } },
  }, async (req) => {
    const row = await deactivateNumber(ctx.store, req.principal, req.params.number);
    await ctx.router.refresh();
    return presentNumber(row);
  });
}
