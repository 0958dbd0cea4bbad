// /v1/audit: the audit log of configuration changes (domain/audit.ts). Account admins see
// their account's entries; operators every account's and what they share (providers,
// rules), and may check the chain.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import { AUDIT_OBJECTS, presentAudit, type AuditObject } from '../../../domain/audit.ts';
import { readScope } from '../../../domain/actor.ts';
import { AppError } from '../../../domain/errors.ts';
import { parseIsoTime } from '../../../domain/time.ts';
import { DEFAULT_LIMIT, encodeCursor, pageQuery, type PageQuery } from '../../paging.ts';
import { auditChainOf, verifyAudit } from '../../../services/audit.ts';

const anyObject = { type: ['object', 'null'], additionalProperties: true } as const;
const entrySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, seq: { type: 'integer' }, at: { type: 'string' }, account_id: { type: ['string', 'null'] },
    actor: { type: 'object', properties: { kind: { type: 'string' }, id: { type: ['string', 'null'] }, name: { type: ['string', 'null'] } } },
    request_id: { type: ['string', 'null'] }, object: { type: 'string' }, object_id: { type: 'string' }, action: { type: 'string' },
    changed: { type: 'array', items: { type: 'string' } }, before: anyObject, after: anyObject, prev_hash: { type: 'string' }, hash: { type: 'string' },
  },
} as const;

type AuditQuery = { object?: AuditObject; object_id?: string; actor?: string; since?: string; until?: string; account_id?: string; region?: string } & PageQuery;
const regionParam = { region: { type: 'string', description: 'with regions: that region\'s chain (changes to opt-outs and consent of its numbers) instead of the home store\'s' } } as const;

function seqCursor(c: string | undefined): number | undefined {
  if (c === undefined) return undefined;
  const m = /^aud:(\d{1,15})$/.exec(Buffer.from(c, 'base64url').toString());
  if (!m || encodeCursor(`aud:${m[1]}`) !== c) throw new AppError('invalid_cursor', 'cursor is not one this API returned', { field: 'cursor' });
  return Number(m[1]);
}

export async function auditRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get<{ Querystring: AuditQuery }>('/v1/audit', {
    config: { scope: 'admin' },
    schema: {
      tags: ['audit'], summary: 'Configuration changes, newest first: who changed what, before and after',
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { object: { type: 'string', enum: AUDIT_OBJECTS }, object_id: { type: 'string' }, actor: { type: 'string' }, since: { type: 'string' }, until: { type: 'string' }, account_id: { type: 'string' }, ...regionParam, ...pageQuery },
      },
      response: { 200: { type: 'object', properties: { data: { type: 'array', items: entrySchema }, next_cursor: { type: ['string', 'null'] } } } },
    },
  }, async (req) => {
    const q = req.query;
    const limit = q.limit ?? DEFAULT_LIMIT;
    const rows = await auditChainOf(ctx.store, q.region).listAudit({
      accountId: readScope(req.principal, q.account_id), object: q.object, objectId: q.object_id, actorId: q.actor,
      since: parseIsoTime(q.since, 'since'), until: parseIsoTime(q.until, 'until'), beforeSeq: seqCursor(q.cursor), limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    return { data: page.map(presentAudit), next_cursor: rows.length > limit ? encodeCursor(`aud:${page[page.length - 1].seq}`) : null };
  });

  app.get<{ Querystring: { region?: string } }>('/v1/audit/verify', {
    config: { scope: 'operator' },
    schema: {
      tags: ['audit'], summary: 'Check the audit chain: every entry in order, unedited, up to its head (operator)',
      querystring: { type: 'object', additionalProperties: false, properties: regionParam },
      response: {
        200: {
          type: 'object',
          properties: {
            ok: { type: 'boolean' }, entries: { type: 'integer' }, checkpoint_seq: { type: 'integer' }, head_seq: { type: 'integer' }, head_hash: { type: 'string' },
            problems: { type: 'array', items: { type: 'object', properties: { seq: { type: 'integer' }, problem: { type: 'string' } } } },
          },
        },
      },
    },
  }, async (req) => verifyAudit(auditChainOf(ctx.store, req.query.region)));
}
