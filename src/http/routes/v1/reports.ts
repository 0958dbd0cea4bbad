// /v1/reports: delivery reports grouped by provider, country, day or a metadata key
// (JSON, or CSV with `Accept: text/csv`), and per-minute activity for the dashboard.
// Scoped like every read: the caller's account, or an operator's choice.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import { readScope } from '../../../domain/actor.ts';
import { activity, deliveryReport, parseGroupBy, parseRange, reportCsv } from '../../../services/reports.ts';

export async function reportRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get<{ Querystring: { group_by?: string; since?: string; until?: string; account_id?: string } }>('/v1/reports/delivery', {
    config: { scope: 'read' },
    schema: {
      tags: ['reports'], summary: 'Final messages in a time range (default: the last 24 h), grouped: counts by final status, delivery rate, price, send→final latency (p50/p95). Accept: text/csv for CSV.',
      querystring: { type: 'object', additionalProperties: false, properties: { group_by: { type: 'string' }, since: { type: 'string' }, until: { type: 'string' }, account_id: { type: 'string' } } },
    },
  }, async (req, reply) => {
    const groupBy = parseGroupBy(req.query.group_by);
    const { since, until } = parseRange(req.query.since, req.query.until);
    const groups = await deliveryReport(ctx.store, { groupBy, since, until, accountId: readScope(req.principal, req.query.account_id) });
    if ((req.headers.accept ?? '').includes('text/csv')) {
      return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="delivery-report.csv"').send(reportCsv(groups, groupBy));
    }
    return { group_by: groupBy, since: new Date(since).toISOString(), until: new Date(until).toISOString(), groups };
  });

  app.get<{ Querystring: { minutes?: number; account_id?: string } }>('/v1/reports/activity', {
    config: { scope: 'read' },
    schema: {
      tags: ['reports'], summary: 'Messages accepted, delivered and failed per minute over the last `minutes` (60 by default, at most 1440)',
      querystring: { type: 'object', additionalProperties: false, properties: { minutes: { type: 'integer', minimum: 1, maximum: 1440 }, account_id: { type: 'string' } } },
    },
  }, async (req) => ({ minutes: await activity(ctx.store, { minutes: req.query.minutes ?? 60, accountId: readScope(req.principal, req.query.account_id) }) }));
}
