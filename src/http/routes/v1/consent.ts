// /v1/consent/:number: one recipient's consent history in the caller's account (the
// consent ledger, domain/consent.ts) and its proof file (JSON, or CSV); double opt-in
// requests; /v1/account/settings: what a STOP opts out of, whether transactional messages
// go past opt-outs that name no topic, and quiet hours (domain/send-window.ts).
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import { requirePhone } from '../../../domain/phone.ts';
import { sendWindowOf } from '../../../domain/send-window.ts';
import { AppError } from '../../../domain/errors.ts';
import { actingAccount } from '../../../domain/actor.ts';
import { CONFIRMATION_WINDOW_MS, type AccountSettings } from '../../../domain/consent.ts';
import { consentProof, consentProofCsv, requestConfirmation } from '../../../services/consent.ts';
import { callerOf } from '../../caller.ts';

const windowSchema = { type: ['object', 'null'], required: ['start', 'end'], additionalProperties: false, properties: { start: { type: 'string' }, end: { type: 'string' } } } as const;
const settingsProperties = {
  opt_out_scope: { type: 'string', enum: ['account', 'number'] }, transactional_past_opt_out: { type: 'boolean' },
  send_window: windowSchema, send_window_transactional: { type: 'boolean' },
  region: { type: ['string', 'null'], description: 'data residency: the region (SWITCHBOARD_REGIONS) this account\'s messages are stored in, whatever their destination; null: the recipient\'s country decides' },
} as const;
const settingsSchema = { type: 'object', properties: { account_id: { type: 'string' }, ...settingsProperties } } as const;

export async function consentRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const proofOf = async (accountId: string, number: string) => {
    const proof = await consentProof(ctx.store, accountId, requirePhone(number, 'number'));
    if (proof.records.length === 0 && proof.opted_out.length === 0) throw new AppError('not_found', `no consent records of ${proof.number} in this account`);
    return proof;
  };

  app.get<{ Params: { number: string }; Querystring: { account_id?: string } }>('/v1/consent/:number', {
    config: { scope: 'read' },
    schema: {
      tags: ['opt-outs'], summary: "A recipient's consent history: every opt-out and opt-in, oldest first, with its scope, source and the text behind it, and the opt-outs in force",
      querystring: { type: 'object', additionalProperties: false, properties: { account_id: { type: 'string' } } },
    },
  }, async (req) => proofOf(actingAccount(req.principal, req.query.account_id), req.params.number));

  app.get<{ Params: { number: string }; Querystring: { account_id?: string; format?: 'json' | 'csv' } }>('/v1/consent/:number/export', {
    config: { scope: 'read' },
    schema: {
      tags: ['opt-outs'], summary: 'The proof of a recipient\'s consent as a file: every record with the raw inbound text behind it (?format=json, the default, or csv)',
      querystring: { type: 'object', additionalProperties: false, properties: { account_id: { type: 'string' }, format: { type: 'string', enum: ['json', 'csv'] } } },
    },
  }, async (req, reply) => {
    const proof = await proofOf(actingAccount(req.principal, req.query.account_id), req.params.number);
    const name = `consent-${proof.number.replace(/\D/g, '')}`;
    if (req.query.format === 'csv') return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}.csv"`).send(consentProofCsv(proof));
    return reply.header('content-disposition', `attachment; filename="${name}.json"`).send(proof);
  });

  app.post<{ Params: { number: string }; Body: { topic?: string; from?: string; body?: string } }>('/v1/consent/:number/confirmations', {
    config: { scope: 'send' },
    schema: {
      tags: ['opt-outs'], summary: 'Double opt-in: text the recipient a request to reply YES; their reply within 24 h opts them in (of the topic, if named), recorded as a confirmation',
      body: { type: ['object', 'null'], additionalProperties: false, properties: { topic: { type: 'string', maxLength: 40 }, from: { type: 'string', maxLength: 32 }, body: { type: 'string', minLength: 1, maxLength: 1600 } } },
    },
  }, async (req, reply) => {
    const r = await requestConfirmation(ctx.store, ctx.intake, callerOf(req.principal), ctx.config.startKeywords, { ...(req.body ?? {}), number: req.params.number }, req.viaDashboard ? 'dashboard' : 'api');
    return reply.code(202).send({ id: r.id, message_id: r.message.id, expires_at: new Date(Date.now() + CONFIRMATION_WINDOW_MS).toISOString() });
  });

  app.get<{ Querystring: { account_id?: string } }>('/v1/account/settings', {
    config: { scope: 'read' },
    schema: { tags: ['opt-outs'], summary: "The account's settings", querystring: { type: 'object', additionalProperties: false, properties: { account_id: { type: 'string' } } }, response: { 200: settingsSchema } },
  }, async (req) => {
    const accountId = actingAccount(req.principal, req.query.account_id);
    return { account_id: accountId, ...ctx.settings.get(accountId) };
  });

  app.post<{ Body: Partial<AccountSettings> & { account_id?: string } }>('/v1/account/settings', {
    config: { scope: 'admin' },
    schema: {
      tags: ['opt-outs'], summary: 'Change the account\'s settings: what a STOP opts out of (opt_out_scope), whether transactional messages go past opt-outs that name no topic, quiet hours (send_window, for marketing; for transactional messages too with send_window_transactional), the region its messages are stored in (region)',
      body: { type: 'object', additionalProperties: false, properties: { account_id: { type: 'string' }, ...settingsProperties } },
      response: { 200: settingsSchema },
    },
  }, async (req) => {
    const { account_id, ...change } = req.body;
    if (change.send_window) change.send_window = sendWindowOf(change.send_window);
    const regions = ctx.store.regions?.all.map((r) => r.name) ?? [];
    if (change.region && !regions.includes(change.region)) {
      throw new AppError('validation_error', regions.length ? `region must be one of ${regions.join(', ')} (SWITCHBOARD_REGIONS)` : 'this server has no regions (SWITCHBOARD_REGIONS)', { field: 'region' });
    }
    const accountId = actingAccount(req.principal, account_id);
    // Only what the account set is stored: the rest keeps following the server's defaults.
    const stored = (await ctx.store.listAccountSettings()).find((a) => a.id === accountId)?.settings;
    await ctx.store.setAccountSettings(accountId, JSON.stringify({ ...(stored ? JSON.parse(stored) as object : {}), ...change }), Date.now());
    await ctx.settings.refresh();
    return { account_id: accountId, ...ctx.settings.get(accountId) };
  });
}
