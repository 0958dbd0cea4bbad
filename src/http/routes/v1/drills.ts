// /v1/drills (operators): run a failover drill now, and the drills run so far.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import { requireOperator } from '../../../domain/actor.ts';
import { runDrill } from '../../../services/drill.ts';

export async function drillRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.post<{ Body: { provider?: string; to?: string } }>('/v1/drills', {
    config: { scope: 'admin' },
    schema: {
      tags: ['ops'], summary: 'Runs a failover drill: one provider fails for a test message only; proves the backup carried it (operators)',
      body: { type: ['object', 'null'], additionalProperties: false, properties: { provider: { type: 'string' }, to: { type: 'string' } } },
    },
  }, async (req, reply) => reply.code(201).send(await runDrill(ctx, req.principal, req.body ?? {})));

  app.get('/v1/drills', {
    config: { scope: 'admin' },
    schema: { tags: ['ops'], summary: 'Failover drills, newest first (operators)' },
  }, async (req) => {
    requireOperator(req.principal, 'failover drills');
    return { data: (await ctx.store.listDrills(50)).map((d) => JSON.parse(d.result)) };
  });
}
