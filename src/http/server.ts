// The HTTP server: Fastify with JSON-schema validation, one error format from the error
// catalog, bearer-key auth with scopes per route, and the OpenAPI document at /docs.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import cors from '@fastify/cors';
import type { Logger } from 'pino';
import { AppError, ERRORS } from '../domain/errors.ts';
import { storeFailure } from '../store/failures.ts';

import type { Scope } from '../store/store.ts';
import { requireScope, type Authenticator, type Principal } from '../auth/auth.ts';
import { errorSchema, messageSchema } from './schemas.ts';
import { messageRoutes } from './routes/v1/messages.ts';
import { keyRoutes } from './routes/v1/keys.ts';
import { opsRoutes } from './routes/ops.ts';
import { providerRoutes } from './routes/v1/providers.ts';
import { numberRoutes } from './routes/v1/numbers.ts';
import { countryRuleRoutes } from './routes/v1/country-rules.ts';
import { optOutRoutes } from './routes/v1/opt-outs.ts';
import { relayRuleRoutes } from './routes/v1/relay-rules.ts';
import { maskRoutes } from './routes/v1/masks.ts';
import { compatRoutes } from './routes/compat.ts';
import { inboundRoutes } from './routes/v1/inbound.ts';
import { eventRoutes } from './routes/v1/events.ts';
import { routeRuleRoutes } from './routes/v1/route-rules.ts';
import { conversationRoutes } from './routes/v1/conversations.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import type { AppContext } from './context.ts';
import { reportRoutes } from './routes/v1/reports.ts';
import { templateRoutes } from './routes/v1/templates.ts';
import { drillRoutes } from './routes/v1/drills.ts';
import { callRoutes } from './routes/v1/calls.ts';
import { trackingRoutes } from './routes/v1/tracking.ts';
import { webhookAdminRoutes } from './routes/v1/webhooks-admin.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { Sessions, sessionOf } from './session.ts';
import { trustProxyOption } from '../config.ts';
import { newId } from '../domain/ids.ts';
import { auditRoutes } from './routes/v1/audit.ts';
import { consentRoutes } from './routes/v1/consent.ts';
import { batchRoutes } from './routes/v1/batches.ts';
import { actingAs } from '../domain/audit.ts';

/** Retry-After on 503 database_unavailable: PostgreSQL restarts and failovers take seconds. */
const STORE_RETRY_AFTER_SECONDS = 5;

declare module 'fastify' {
  interface FastifyRequest { principal: Principal; viaDashboard: boolean }
  interface FastifyContextConfig { scope?: Scope }
  interface FastifyInstance { routeTable: RouteEntry[] }
}

/** One route as registered: who may call it (no scope = public) and whether it pages. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface RouteEntry { method: string; url: string; scope?: Scope; paged: boolean }

export async function buildServer(ctx: AppContext, logger: Logger): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Per-request lines would dominate the log at thousands of requests a second; errors are logged by the handler.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    // X-Forwarded-* only from the proxies SWITCHBOARD_TRUST_PROXY names (none by default).
    trustProxy: trustProxyOption(ctx.config),
    // Shutdown answers every request it has received (app.ts): none gets a 503 for it.
    return503OnClosing: false,
    // A request's id is in its log lines, its audit entries and its answer (x-request-id):
    // the caller's own when it sends a plausible one, else a new one.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,64}$/.test(given) ? given : newId('req');
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });
  app.decorateRequest('principal', null as unknown as Principal);
  app.decorateRequest('viaDashboard', false);
  // Many clients send `Content-Type: application/json` with no body on a POST or DELETE
  // that needs none: read that as no body (Fastify's own parser, poisoning checks and
  // all, for the rest). A route that needs a body still says it is missing.
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (body === '') return done(null, undefined);
    json(req, body as string, done);
  });
  const routeTable: RouteEntry[] = [];
  app.decorate('routeTable', routeTable);
  app.addHook('onRoute', (r) => {
    const query = (r.schema?.querystring ?? {}) as { properties?: Record<string, unknown> };
    for (const method of [r.method].flat()) {
      routeTable.push({ method, url: r.url, scope: (r.config as { scope?: Scope } | undefined)?.scope, paged: !!query.properties?.cursor });
    }
  });
  app.addSchema(errorSchema);
  app.addSchema(messageSchema);

  await app.register(swagger, {
    openapi: {
      info: { title: 'Switchboard', version: '1', description: 'Self-hosted SMS gateway. Authenticate with `Authorization: Bearer <api key>`.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  // Browsers may call the API only from the origins in SWITCHBOARD_CORS_ORIGINS; any other
  // origin gets no CORS headers (so the browser refuses), and preflights need no API key.
  const allowed = new Set(ctx.config.corsOrigins);
  const corsOptions = {
    methods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['authorization', 'content-type', 'idempotency-key'],
    exposedHeaders: ['retry-after', 'idempotent-replayed'],
    maxAge: 600,
  };
  // With no origin allowed, nothing is registered: no request pays for a CORS check that
  // can only say no (a browser refuses a preflight answered without CORS headers either way).
  if (allowed.size > 0) {
    await app.register(cors, {
      delegator: (req, cb) => {
        const origin = req.headers.origin;
        cb(null, origin && allowed.has(origin) ? { ...corsOptions, origin } : { origin: false });
      },
    });
  }

  // Draining: answer, then close the connection, so keep-alive clients reconnect
  // elsewhere instead of sending into a socket that is about to close. Decided when the
  // answer goes out, so a request that was already running when shutdown began closes
  // its connection too (else the listener's close waits out that idle keep-alive socket).
  app.addHook('onSend', (req, reply, payload, done) => {
    if (ctx.lifecycle.draining) reply.header('connection', 'close');
    reply.header('x-request-id', req.id);
    // With regions: those whose database did not answer lately, so a list or a sum that
    // left them out says so (store/regional/).
    if (ctx.store.regions?.down.size) reply.header('switchboard-regions-unavailable', [...ctx.store.regions.down].join(','));
    done(null, payload);
  });

  const sessions = new Sessions(ctx.config.sessionSecret);
  app.addHook('onRequest', async (req: FastifyRequest, reply) => {
    const scope = req.routeOptions.config?.scope;
    if (!scope) return;
    // A dashboard session (cookie) stands for its key when no Authorization header is
    // sent; a change made with it must carry the session's CSRF token.
    if (req.headers.authorization === undefined) {
      const session = await sessionOf(sessions, req.headers.cookie, (k, h) => ctx.auth.sessionPrincipal(k, h));
      if (session) {
        if (!SAFE_METHODS.has(req.method) && !sessions.csrfMatches(session.value, req.headers['x-csrf-token'] as string | undefined)) {
          throw new AppError('csrf_failed', 'missing or wrong x-csrf-token for this dashboard session');
        }
        req.principal = session.p;
        req.viaDashboard = true;
        requireScope(session.p, scope);
        return;
      }
    }
    req.principal = await ctx.auth.authenticate(req.headers.authorization).catch((err: unknown) => {
      // Counted, not locked out: keys are 240-bit random, and a lockout by address would let
      // one client behind a shared proxy shut out every other.
      if (req.headers.authorization !== undefined) ctx.metrics.authFailures.inc({ channel: 'bearer' });
      throw err;
    });
    requireScope(req.principal, scope);
  });
  // The author of any change the request makes (the audit log, domain/audit.ts). Set once
  // the body is read: the handler runs inside it.
  app.addHook('preValidation', (req, _reply, done) => {
    const p = req.principal;
    if (!p) return done();
    actingAs({ kind: req.viaDashboard ? 'dashboard' : 'key', id: p.keyId, name: p.name, requestId: req.id }, done);
  });

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof AppError) {
      if (err.code === 'rate_limited') reply.header('retry-after', String(err.retryAfter ?? 1));
      if (err.code === 'region_unavailable') reply.header('retry-after', String(STORE_RETRY_AFTER_SECONDS));
      return reply.code(err.status).send({ error: { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}), ...(err.details ? { details: err.details } : {}) } });
    }
    const e = err as { validation?: { instancePath?: string; params?: Record<string, unknown> }[]; validationContext?: string; statusCode?: number; code?: string; message: string };
    if (e.validation) {
      const v = e.validation[0];
      const path = (v?.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
      const missing = v?.params?.missingProperty ?? v?.params?.additionalProperty;
      const field = [path, missing].filter(Boolean).join('.') || e.validationContext;
      return reply.code(400).send({ error: { code: 'validation_error', message: e.message, ...(field ? { field } : {}) } });
    }
    const failure = storeFailure(err);
    if (failure) {
      // An outage, not a bug: no stack trace per request, and the caller is told when to come back.
      req.log.warn({ err: (err as Error).message, failure }, 'store unavailable');
      if (failure === 'database_unavailable') reply.header('retry-after', String(STORE_RETRY_AFTER_SECONDS));
      return reply.code(ERRORS[failure].status).send({ error: { code: failure, message: failure === 'storage_full' ? 'the database\'s disk is full' : 'the database is unavailable', hint: ERRORS[failure].hint } });
    }
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      const code = e.statusCode === 415 ? 'unsupported_media_type' : e.statusCode === 413 ? 'payload_too_large' : 'bad_request';
      return reply.code(e.statusCode).send({ error: { code, message: e.message } });
    }
    req.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: { code: 'internal_error', message: 'internal error', hint: ERRORS.internal_error.hint } });
  });

  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
  });

  await app.register(async (api) => {
    await messageRoutes(api, ctx);
    await keyRoutes(api, ctx);
    await providerRoutes(api, ctx);
    await numberRoutes(api, ctx);
    await countryRuleRoutes(api, ctx);
    await optOutRoutes(api, ctx);
    await relayRuleRoutes(api, ctx);
    await maskRoutes(api, ctx);
    await compatRoutes(api, ctx);
    await inboundRoutes(api, ctx);
    await conversationRoutes(api, ctx);
    await eventRoutes(api, ctx);
    await routeRuleRoutes(api, ctx);
    await auditRoutes(api, ctx);
    await consentRoutes(api, ctx);
    await batchRoutes(api, ctx);
  });
  await app.register(async (api) => {
    await reportRoutes(api, ctx);
    await templateRoutes(api, ctx);
    await drillRoutes(api, ctx);
    await callRoutes(api, ctx);
    await trackingRoutes(api, ctx);
    await webhookAdminRoutes(api, ctx);
    await dashboardRoutes(api, ctx, sessions);
  });
  await webhookRoutes(app, ctx);
  await opsRoutes(app, ctx);
  return app;
}
