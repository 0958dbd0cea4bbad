// The operator dashboard: a single page served by this process (web/dashboard/, plain ES
// modules, nothing from a CDN) that talks to the same /v1 API as everyone else, signed in
// with a session cookie instead of a Bearer header (http/session.ts). Sign-in takes an API
// key once; the page then holds only the cookie (HttpOnly) and the CSRF token.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppContext } from '../context.ts';
import { AppError } from '../../domain/errors.ts';
import { SESSION_COOKIE, SESSION_HOURS, sessionOf, type Sessions } from '../session.ts';
import { PAGE_SECURITY_HEADERS } from '../security-headers.ts';
import { FailureGuard } from '../../auth/failure-guard.ts';

const WEB = join(import.meta.dirname, '../../../web/dashboard');
const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml', html: 'text/html; charset=utf-8' };
export async function dashboardRoutes(app: FastifyInstance, ctx: AppContext, sessions: Sessions): Promise<void> {
  const signIns = new FailureGuard(10);
  const secure = (req: FastifyRequest) => req.protocol === 'https' || ctx.config.publicUrl.startsWith('https:');
  const setCookie = (req: FastifyRequest, reply: FastifyReply, value: string, maxAge: number) => {
    reply.header('set-cookie', `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure(req) ? '; Secure' : ''}`);
  };
  const whoami = (req: FastifyRequest) => sessionOf(sessions, req.headers.cookie, (k, h) => ctx.auth.sessionPrincipal(k, h));

  // The page, at /dashboard and at every view's own address (/dashboard/messages?status=failed,
  // /dashboard/message/msg_…): the script opens the view the path names.
  const index = async (_req: FastifyRequest, reply: FastifyReply) => {
    reply.headers(PAGE_SECURITY_HEADERS).type(TYPES.html);
    return reply.send(await readFile(join(WEB, 'index.html')));
  };
  app.get('/dashboard', { schema: { hide: true } }, index);
  app.get('/dashboard/:view', { schema: { hide: true } }, index);
  app.get('/dashboard/:view/:arg', { schema: { hide: true } }, index);

  app.get<{ Params: { file: string } }>('/dashboard/assets/:file', { schema: { hide: true } }, async (req, reply) => {
    const m = /^[a-z0-9-]+\.(js|css|svg)$/.exec(req.params.file);
    if (!m) throw new AppError('not_found', 'no such asset');
    const body = await readFile(join(WEB, req.params.file)).catch(() => null);
    if (!body) throw new AppError('not_found', 'no such asset');
    return reply.headers({ 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache' }).type(TYPES[m[1]]).send(body);
  });

  app.post<{ Body: { api_key: string } }>('/dashboard/login', {
    schema: { hide: true, body: { type: 'object', required: ['api_key'], additionalProperties: false, properties: { api_key: { type: 'string', minLength: 1, maxLength: 256 } } } },
  }, async (req, reply) => {
    // Failed sign-ins lock the source address out of sign-in (not out of the API) for a
    // while (auth/failure-guard.ts): behind a proxy, set SWITCHBOARD_TRUST_PROXY so that
    // the address is the client's, not the proxy's.
    const locked = signIns.lockedFor(req.ip, Date.now());
    if (locked > 0) {
      ctx.metrics.authFailures.inc({ channel: 'dashboard_locked_out' });
      throw new AppError('rate_limited', 'too many failed sign-ins from this address; try again later', { retryAfter: Math.ceil(locked / 1000) });
    }
    const signedIn = await ctx.auth.keyForSecret(req.body.api_key).catch((err: unknown) => {
      if (err instanceof AppError && err.code === 'unauthorized') {
        ctx.metrics.authFailures.inc({ channel: 'dashboard' });
        signIns.failed(req.ip, Date.now());
      }
      throw err;
    });
    const { principal, hashPrefix } = signedIn;
    const value = sessions.issue(principal.keyId, hashPrefix);
    setCookie(req, reply, value, SESSION_HOURS * 3600);
    return { name: principal.name, account_id: principal.accountId, operator: principal.operator, scopes: [...principal.scopes], csrf: sessions.csrf(value) };
  });

  app.get('/dashboard/session', { schema: { hide: true } }, async (req, reply) => {
    const s = await whoami(req);
    if (!s) return reply.code(401).send({ error: { code: 'unauthorized', message: 'not signed in' } });
    return { name: s.p.name, account_id: s.p.accountId, operator: s.p.operator, scopes: [...s.p.scopes], csrf: sessions.csrf(s.value) };
  });

  app.post('/dashboard/logout', { schema: { hide: true } }, async (req, reply) => {
    const s = await whoami(req);
    if (s && !sessions.csrfMatches(s.value, req.headers['x-csrf-token'] as string | undefined)) throw new AppError('csrf_failed', 'missing or wrong x-csrf-token');
    setCookie(req, reply, '', 0);
    return { signed_out: true };
  });
}
