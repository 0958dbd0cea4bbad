// /v1/numbers (admin): the pool of senders routing chooses from. A number belongs to one
// provider; its type sets its default send rate (long code 1/s, toll-free 3/s, short
// code 100/s: domain.md §8.2). Deleting deactivates: the record is kept.
import type { FastifyInstance } from 'fastify';
import parsePhoneNumber from 'libphonenumber-js/max';
import type { AppContext } from '../../../app.ts';
import { AppError } from '../../../domain/errors.ts';
import { parsePhone, isAlphanumericSender } from '../../../domain/phone.ts';
import { DEFAULT_RATES } from '../../../routing/numbers.ts';
import type { NumberRow, NumberType, Store } from '../../../store/store.ts';

export interface NumberInput {
  number: string; provider_id: string; account_id?: string; country?: string; type?: NumberType;
  capabilities?: string[]; rate_per_second?: number; pool?: string; active?: boolean;
}

const TYPES: NumberType[] = ['longcode', 'shortcode', 'tollfree', 'alphanumeric'];
const CAPABILITIES = ['sms', 'mms', 'international'];
const POOLS = ['default', 'masking'];

const numberSchema = {
  type: 'object',
  properties: {
    number: { type: 'string' }, provider_id: { type: 'string' }, account_id: { type: 'string' }, country: { type: ['string', 'null'] },
    type: { type: 'string', enum: TYPES }, capabilities: { type: 'array', items: { type: 'string' } }, rate_per_second: { type: 'number' },
    pool: { type: 'string' }, active: { type: 'boolean' }, created_at: { type: 'string' }, updated_at: { type: 'string' },
  },
} as const;

const inputSchema = {
  type: 'object', required: ['number', 'provider_id'], additionalProperties: false,
  properties: {
    number: { type: 'string', maxLength: 32 }, provider_id: { type: 'string' }, account_id: { type: 'string' }, country: { type: 'string', pattern: '^[A-Z]{2}$' },
    type: { type: 'string', enum: TYPES }, capabilities: { type: 'array', items: { type: 'string', enum: CAPABILITIES } },
    rate_per_second: { type: 'number', exclusiveMinimum: 0 }, pool: { type: 'string', enum: POOLS }, active: { type: 'boolean' },
  },
} as const;

export function presentNumber(n: NumberRow) {
  return {
    number: n.number, provider_id: n.provider_id, account_id: n.account_id, country: n.country, type: n.type,
    capabilities: JSON.parse(n.capabilities) as string[], rate_per_second: n.rate_per_second, pool: n.pool, active: n.active === 1,
    created_at: new Date(n.created_at).toISOString(), updated_at: new Date(n.updated_at).toISOString(),
  };
}

/** What kind of sender `text` is, and its normalized form and country. */
function classify(input: NumberInput): { number: string; country: string | null; type: NumberType } {
  const bad = (message: string, field = 'number') => new AppError('validation_error', message, { field });
  const phone = parsePhone(input.number);
  if (phone.ok) {
    const detected = parsePhoneNumber(phone.e164)?.getType() === 'TOLL_FREE' ? 'tollfree' : 'longcode';
    const type = input.type ?? detected;
    if (type === 'alphanumeric' || type === 'shortcode') throw bad(`${input.number} is a phone number, not a ${type} sender`, 'type');
    if (input.country && phone.country && input.country !== phone.country) throw bad(`${input.number} is a ${phone.country} number, not ${input.country}`, 'country');
    return { number: phone.e164, country: phone.country ?? input.country ?? null, type };
  }
  if (/^\d{3,8}$/.test(input.number)) {
    if (input.type && input.type !== 'shortcode') throw bad(`${input.number} is a short code`, 'type');
    if (!input.country) throw bad('a short code needs its country', 'country');
    return { number: input.number, country: input.country, type: 'shortcode' };
  }
  if (isAlphanumericSender(input.number)) {
    if (input.type && input.type !== 'alphanumeric') throw bad(`${input.number} is an alphanumeric sender id`, 'type');
    return { number: input.number, country: null, type: 'alphanumeric' };
  }
  throw bad(`${input.number} is neither an E.164 number, a short code nor an alphanumeric sender id (3–11 letters/digits)`);
}

/** Validates and writes a number record (API and `switchboard apply`). */
export async function upsertNumber(store: Store, input: NumberInput): Promise<NumberRow> {
  const { number, country, type } = classify(input);
  const providers = await store.listProviders();
  if (!providers.some((p) => p.id === input.provider_id)) throw new AppError('validation_error', `no provider ${input.provider_id}`, { field: 'provider_id' });
  for (const c of input.capabilities ?? []) if (!CAPABILITIES.includes(c)) throw new AppError('validation_error', `unknown capability ${c}; known: ${CAPABILITIES.join(', ')}`, { field: 'capabilities' });
  if (input.pool !== undefined && !POOLS.includes(input.pool)) throw new AppError('validation_error', `pool must be one of ${POOLS.join(', ')}`, { field: 'pool' });
  const now = Date.now();
  const existing = (await store.listNumbers()).find((n) => n.number === number);
  const account = input.account_id ?? existing?.account_id ?? 'default';
  await store.ensureAccount(account, account, now);
  const row: NumberRow = {
    number, provider_id: input.provider_id, account_id: account, country, type,
    capabilities: JSON.stringify(input.capabilities ?? (existing ? JSON.parse(existing.capabilities) : ['sms'])),
    rate_per_second: input.rate_per_second ?? DEFAULT_RATES[type], pool: input.pool ?? existing?.pool ?? 'default',
    active: input.active === false ? 0 : 1, created_at: existing?.created_at ?? now, updated_at: now,
  };
  await store.upsertNumber(row);
  return row;
}

export async function numberRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const find = async (n: string) => {
    const row = (await ctx.store.listNumbers()).find((r) => r.number === n);
    if (!row) throw new AppError('not_found', `no number ${n}`);
    return row;
  };
  const params = { type: 'object', properties: { number: { type: 'string' } } } as const;

  app.post<{ Body: NumberInput }>('/v1/numbers', {
    config: { scope: 'admin' },
    schema: { tags: ['numbers'], summary: 'Add or replace a number in the pool', body: inputSchema, response: { 201: numberSchema } },
  }, async (req, reply) => {
    const row = await upsertNumber(ctx.store, req.body);
    await ctx.router.refresh();
    return reply.code(201).send(presentNumber(row));
  });

  app.get<{ Querystring: { provider_id?: string; pool?: string } }>('/v1/numbers', {
    config: { scope: 'admin' },
    schema: {
      tags: ['numbers'], summary: 'List numbers',
      querystring: { type: 'object', additionalProperties: false, properties: { provider_id: { type: 'string' }, pool: { type: 'string' } } },
      response: { 200: { type: 'object', properties: { data: { type: 'array', items: numberSchema }, next_cursor: { type: ['string', 'null'] } } } },
    },
  }, async (req) => {
    const rows = (await ctx.store.listNumbers()).filter((n) => (!req.query.provider_id || n.provider_id === req.query.provider_id) && (!req.query.pool || n.pool === req.query.pool));
    return { data: rows.map(presentNumber), next_cursor: null };
  });

  app.get<{ Params: { number: string } }>('/v1/numbers/:number', {
    config: { scope: 'admin' }, schema: { tags: ['numbers'], summary: 'One number', params, response: { 200: numberSchema } },
  }, async (req) => presentNumber(await find(req.params.number)));

  app.delete<{ Params: { number: string } }>('/v1/numbers/:number', {
    config: { scope: 'admin' }, schema: { tags: ['numbers'], summary: 'Deactivate a number (the record is kept)', params, response: { 200: numberSchema } },
  }, async (req) => {
    const row = { ...(await find(req.params.number)), active: 0, updated_at: Date.now() };
    await ctx.store.upsertNumber(row);
    await ctx.router.refresh();
    return presentNumber(row);
  });
}
