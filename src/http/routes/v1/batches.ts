// /v1/batches: bulk sends (services/batches.ts). One request of up to 10,000 recipients,
// validated whole and accepted as one; its progress by status; what did not make it, as CSV.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import { sendBodySchema } from '../../schemas.ts';
import { acceptBatch, batchFailuresCsv, MAX_BATCH, presentBatch, type BatchInput } from '../../../services/batches.ts';
import { callerOf } from '../../caller.ts';
import { actingAccount } from '../../../domain/actor.ts';
import { AppError } from '../../../domain/errors.ts';
import { decodeCursor, pageFetched, pageQuery, type PageQuery, DEFAULT_LIMIT } from '../../paging.ts';
import type { BatchRow } from '../../../store/store.ts';

const { to: _to, conversation_id: _c, variables, ...common } = sendBodySchema.properties;
const recipientSchema = {
  type: 'object', required: ['to'], additionalProperties: false,
  properties: { to: sendBodySchema.properties.to, variables, metadata: sendBodySchema.properties.metadata },
} as const;
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } } as const;

export async function batchRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const withCounts = async (b: BatchRow) => presentBatch(b, await ctx.store.batchCounts(b.id));
  const find = async (accountId: string, id: string) => {
    const b = await ctx.store.getBatch(accountId, id);
    if (!b) throw new AppError('not_found', `no batch ${id} in this account`);
    return b;
  };

  app.post<{ Body: BatchInput; Headers: { 'idempotency-key'?: string }; Querystring: { dry_run?: boolean } }>('/v1/batches', {
    config: { scope: 'send' },
    bodyLimit: 16 * 1024 * 1024,
    schema: {
      tags: ['messages'], summary: `Send one body or template to up to ${MAX_BATCH} recipients, each with its own variables and metadata: validated whole (every bad recipient named in error.details, nothing stored), accepted as one (an Idempotency-Key makes a retry safe). Bulk lane unless priority says otherwise`,
      headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 255 } } },
      querystring: { type: 'object', additionalProperties: false, properties: { dry_run: { type: 'boolean', description: 'validate the whole batch and store nothing: 200 { dry_run, total }' } } },
      body: { type: 'object', required: ['recipients'], additionalProperties: false, properties: { ...common, recipients: { type: 'array', minItems: 1, maxItems: MAX_BATCH, items: recipientSchema } } },
    },
  }, async (req, reply) => {
    const batch = await acceptBatch({ store: ctx.store, intake: ctx.intake }, callerOf(req.principal), req.body, req.headers['idempotency-key'], { dryRun: req.query.dry_run });
    if ('dry_run' in batch) return batch;
    return reply.code(202).send(await withCounts(batch));
  });

  app.get<{ Querystring: PageQuery & { account_id?: string } }>('/v1/batches', {
    config: { scope: 'read' },
    schema: { tags: ['messages'], summary: 'The account\'s batches, newest first, with their progress', querystring: { type: 'object', additionalProperties: false, properties: { ...pageQuery, account_id: { type: 'string' } } } },
  }, async (req) => {
    const limit = req.query.limit ?? DEFAULT_LIMIT;
    const rows = await ctx.store.listBatches(actingAccount(req.principal, req.query.account_id), req.query.cursor ? decodeCursor(req.query.cursor, 'bat') : undefined, limit + 1);
    const page = pageFetched(rows, limit, (b) => b.id, (b) => b);
    return { data: await Promise.all(page.data.map(withCounts)), next_cursor: page.next_cursor };
  });

  app.get<{ Params: { id: string }; Querystring: { account_id?: string } }>('/v1/batches/:id', {
    config: { scope: 'read' },
    schema: { tags: ['messages'], summary: 'A batch: its messages by status, how many are done, and the recipients refused', params: idParams, querystring: { type: 'object', additionalProperties: false, properties: { account_id: { type: 'string' } } } },
  }, async (req) => withCounts(await find(actingAccount(req.principal, req.query.account_id), req.params.id)));

  app.get<{ Params: { id: string }; Querystring: { account_id?: string } }>('/v1/batches/:id/failures', {
    config: { scope: 'read' },
    schema: { tags: ['messages'], summary: 'What did not make it, as CSV: refused recipients, and messages failed, undelivered, expired or canceled', params: idParams, querystring: { type: 'object', additionalProperties: false, properties: { account_id: { type: 'string' } } } },
  }, async (req, reply) => {
    const b = await find(actingAccount(req.principal, req.query.account_id), req.params.id);
    const csv = batchFailuresCsv(b, await ctx.store.batchFailures(b.id));
    return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${b.id}-failures.csv"`).send(csv);
  });
}
