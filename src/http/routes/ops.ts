// Liveness, readiness, metrics and the operator status summary.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app.ts';

export async function opsRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get('/healthz', { schema: { tags: ['ops'], summary: 'Liveness', security: [] } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { tags: ['ops'], summary: 'Readiness: the store answers', security: [] } }, async (_req, reply) => {
    try {
      await ctx.store.ping();
      return { status: 'ready', store: ctx.store.dialect };
    } catch (err) {
      return reply.code(503).send({ error: { code: 'unavailable', message: `store unreachable: ${(err as Error).message}` } });
    }
  });

  app.get('/metrics', { schema: { tags: ['ops'], summary: 'Prometheus metrics', security: [], hide: false } }, async (_req, reply) => {
    reply.header('content-type', ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });

  app.get('/v1/status', { config: { scope: 'read' }, schema: { tags: ['ops'], summary: 'Providers and queue' } }, async () => {
    const now = Date.now();
    const q = await ctx.store.queueStats(now);
    return {
      providers: ctx.registry.active().map((p) => ({ id: p.id, kind: p.kind, priority: p.priority })),
      queue: { depth: q.depth, oldest_age_seconds: q.oldestDueAt === null ? 0 : Math.max(0, (now - q.oldestDueAt) / 1000), by_status: q.byStatus },
    };
  });
}
