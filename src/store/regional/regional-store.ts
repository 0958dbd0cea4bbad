// A Store over a home store and one store per region (domain/regions.ts has the terms):
// configuration — accounts, keys, providers, numbers, rules, templates, alerts, the audit
// chain of configuration, batch records, report rollups — in the home store; every row
// holding a phone number or a text in its region's store (message-routes.ts,
// other-routes.ts). Code above the store sees one Store; only intake and the webhook
// ingest ask it which region a new message or webhook belongs to (`regions`).
import type { Store } from '../store.ts';
import type { RegionMap } from '../../domain/regions.ts';
import { Regions, Seen, sum } from './regions.ts';
import { messageRoutes } from './message-routes.ts';
import { otherRoutes } from './other-routes.ts';

/** The methods the home store answers alone. */
const HOME = [
  'configVersion', 'ensureAccount', 'createApiKey', 'findApiKeyByHash', 'getApiKey', 'listApiKeys', 'revokeApiKey', 'setApiKeyWebhookSecret', 'setApiKeySmpp',
  'findApiKeyBySmppSystemId', 'addTemplateVersion', 'getTemplate', 'listTemplates', 'createTrackingLink', 'findTrackingLinkByHash', 'listTrackingLinks',
  'revokeTrackingLink', 'listProviders', 'upsertProvider', 'listNumbers', 'upsertNumber', 'listCountryRules', 'upsertCountryRule', 'listRouteRules',
  'upsertRouteRule', 'deleteRouteRule',
  'setAlertState', 'listAlerts', 'recordDrill', 'listDrills',
  'listAudit', 'auditHead', 'auditChain',
  'listAccountSettings', 'setAccountSettings',
  'createBatch', 'finishBatch', 'getBatch', 'listBatches',
  'rolledUp', 'rollups', 'saveRollups', 'purgeRollups',
  'acquireOutboxLease', 'releaseOutboxLease', 'sequenceEvents', 'readEvents', 'outboxCursor', 'setOutboxCursor', 'outboxBacklog', 'purgeEvents',
] as const satisfies readonly (keyof Store)[];

type HomeMethods = Pick<Store, (typeof HOME)[number]>;

export function regionalStore(home: Store, stores: Store[], map: RegionMap, working?: readonly string[]): Store {
  const r = new Regions(home, stores, map, working);
  const seen = new Seen();
  const delegated = Object.fromEntries(HOME.map((m) => [m, (home[m] as (...a: unknown[]) => unknown).bind(home)])) as unknown as HomeMethods;
  const store: Store = {
    ...delegated,
    ...messageRoutes(r, seen),
    ...otherRoutes(r, seen),
    regions: r,
    dialect: home.dialect,
    positionsAtCommit: home.positionsAtCommit,
    // Retention cuts every store's audit chain at the same age.
    purgeAudit: async (before, limit) => sum(await Promise.all([home, ...r.working.map((g) => g.store)].map((s) => s.purgeAudit(before, limit)))),
    async migrate() {
      await home.migrate();
      for (const s of stores) await s.migrate();
    },
    // Ready when the home store answers; a region that does not is reported (degraded),
    // its own data unavailable, never the others'.
    async ping() {
      await home.ping();
      await r.gather(r.all, (s) => s.ping());
    },
    async listen(on) {
      if (home.listen && on.config) await home.listen({ config: on.config });
      for (const g of r.working) if (g.store.listen && (on.wake || on.webhooks)) await g.store.listen({ wake: on.wake, webhooks: on.webhooks });
    },
    listening: () => home.listening?.() ?? false,
    callForHelp: () => { for (const g of r.working) g.store.callForHelp?.(); },
    // Each database's queue is its own to vacuum.
    vacuumQueue: async (minDead) => (await Promise.all([home, ...r.working.map((g) => g.store)].map(async (s) => (await s.vacuumQueue?.(minDead)) ?? []))).flat(),
    async close() {
      await Promise.all([home, ...stores].map((s) => s.close()));
    },
  };
  return store;
}
