// Liveness, readiness, metrics and the operator status summary.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.ts';
import { storeFailure } from '../../store/failures.ts';
import { readScope, type Actor } from '../../domain/actor.ts';
import { priorityOf } from '../../domain/lanes.ts';
import { ageSeconds } from '../../public/present.ts';

export async function opsRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get('/healthz', { schema: { tags: ['ops'], summary: 'Liveness', security: [] } }, async () => ({ status: 'ok' }));

  // Not ready once shutdown began (load balancers stop sending before the listener
  // closes); ready but `degraded` while Redis is unreachable (sending goes on with
  // per-process limits and health).
  app.get('/readyz', { schema: { tags: ['ops'], summary: 'Readiness: the store answers, the process is not shutting down', security: [] } }, async (_req, reply) => {
    if (ctx.lifecycle.draining) return reply.code(503).send({ status: 'draining', error: { code: 'unavailable', message: 'shutting down' } });
    try {
      await ctx.store.ping();
      const degraded = ctx.lifecycle.degraded();
      // Whether the built-in simulator is what sends here (no provider configured): nothing leaves the machine.
      const simulator = ctx.registry.simulating();
      if (degraded.length > 0) return { status: 'degraded', store: ctx.store.dialect, simulator, degraded };
      return { status: 'ready', store: ctx.store.dialect, simulator };
    } catch (err) {
      const failure = storeFailure(err) ?? 'database_unavailable';
      return reply.code(503).send({ status: 'unavailable', store: ctx.store.dialect, error: { code: failure, message: `the ${ctx.store.dialect} database is unavailable: ${(err as Error).message}` } });
    }
  });

  app.get('/metrics', { schema: { tags: ['ops'], summary: 'Prometheus metrics', security: [], hide: false } }, async (_req, reply) => {
    reply.header('content-type', ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });

  app.get<{ Querystring: { account_id?: string } }>('/v1/status', {
    config: { scope: 'read' },
    schema: {
      tags: ['ops'], summary: 'Provider health, and the account\'s queue and send figures (an operator: every account\'s, or one with ?account_id=, and the alerts)',
      querystring: { type: 'object', additionalProperties: false, properties: { account_id: { type: 'string' } } },
    },
  }, async (req) => statusReport(ctx, req.principal, readScope(req.principal, req.query.account_id)));
}

/**
 * Provider health, queue and alerts (GET /v1/status; also inside the compatibility
 * status routes). Counts cover `accountId` only (every account when undefined, which
 * only operators ask for); circuit state is shared, alerts are shown to operators only.
 */
export async function statusReport(ctx: AppContext, actor: Actor, accountId: string | undefined) {
  const now = Date.now();
  const { config, health } = ctx;
  const [q, windows, alerts, drills] = await Promise.all([
    ctx.store.queueStats(now, accountId), ctx.store.providerWindows(now - config.healthWindowMs, accountId), actor.operator ? ctx.store.listAlerts() : [],
    actor.operator ? ctx.store.listDrills(1) : [],
  ]);
  const byProvider = new Map(windows.map((w) => [w.provider_id, w]));
  // Window figures come from the ledger (all processes); circuit state is this process's
  // breaker, shared through Redis when configured: an api-only process without Redis has
  // none to report.
  const sends = config.role !== 'api' || config.redisUrl !== '';
  return {
    providers: ctx.registry.active().map((p) => {
      const w = byProvider.get(p.id) ?? { sends: 0, errors: 0, failovers: 0 };
      const v = health.view(p.id, now);
      return {
        id: p.id, kind: p.kind, priority: p.priority, circuit: sends ? v.state : null,
        window: { seconds: config.healthWindowMs / 1000, sends: w.sends, errors: w.errors, error_rate: w.sends ? w.errors / w.sends : 0, failovers: w.failovers },
        delivery_rate: sends ? v.deliveryRate : null,
        // why routing holds it back: its send errors (circuit not closed) or its receipts (delivery rate below the minimum, or most overdue)
        demoted: sends ? v.demoted : null,
      };
    }),
    // With regions: each one, and whether its database answered (queue figures leave out one that did not).
    ...(ctx.store.regions ? { regions: ctx.store.regions.all.map((r) => ({ name: r.name, available: !ctx.store.regions!.down.has(r.name) })) } : {}),
    queue: {
      depth: q.depth, oldest_age_seconds: ageSeconds(q.oldestDueAt, now), by_status: q.byStatus,
      // by account and lane: who is waiting, and how long the oldest due message has waited for its turn
      lanes: q.lanes.map((l) => ({ account_id: l.account_id, priority: priorityOf(l.lane), depth: l.depth, oldest_age_seconds: ageSeconds(l.oldestDueAt, now) })),
    },
    ...(actor.operator ? { last_drill: drills[0] ? JSON.parse(drills[0].result) : null } : {}),
    ...(actor.operator ? { alerts: alerts.map((a) => ({
      rule: a.rule, state: a.state, detail: a.detail,
      fired_at: a.fired_at === null ? null : new Date(a.fired_at).toISOString(), resolved_at: a.resolved_at === null ? null : new Date(a.resolved_at).toISOString(),
    })) } : {}),
  };
}
