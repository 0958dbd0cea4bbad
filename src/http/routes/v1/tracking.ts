// Tracking links (POST/GET/DELETE /v1/tracking-links) and the public page they open
// (/track/:token, and /track/:token.json for its refresh). The page shows one job's
// notifications with recipients masked; anything else about the account is out of reach,
// and a wrong, expired or revoked token is a plain 404 page.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import { AppError } from '../../../domain/errors.ts';
import { createTrackingLink, trackingView, type TrackedMessage } from '../../../services/tracking.ts';
import type { TrackingLinkRow } from '../../../store/store.ts';
import { actingAccount } from '../../../domain/actor.ts';
import { PAGE_SECURITY_HEADERS } from '../../security-headers.ts';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function present(l: TrackingLinkRow, url?: string) {
  return {
    id: l.id, job_id: l.job_id, ...(url ? { url } : {}), created_at: new Date(l.created_at).toISOString(), expires_at: new Date(l.expires_at).toISOString(),
    revoked_at: l.revoked_at === null ? null : new Date(l.revoked_at).toISOString(),
  };
}

const LABEL: Record<string, string> = { queued: 'Queued', scheduled: 'Scheduled', sending: 'Sending', sent: 'Sent', delivered: 'Delivered', undelivered: 'Not delivered', failed: 'Failed', expired: 'Expired', canceled: 'Canceled' };

function page(jobId: string, messages: TrackedMessage[]): string {
  const items = messages.map((m) => `
    <li class="msg status-${esc(m.status)}">
      <h2>${esc(m.to)} <span class="badge">${esc(LABEL[m.status] ?? m.status)}</span></h2>
      <ol class="steps">${m.steps.map((s) => `<li><time datetime="${esc(s.at)}">${esc(new Date(s.at).toUTCString().slice(17, 25))} UTC</time> ${esc(s.label)}</li>`).join('')}</ol>
    </li>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>Notifications for ${esc(jobId)}</title><link rel="stylesheet" href="/dashboard/assets/track.css"></head>
<body><main><h1>Notifications for ${esc(jobId)}</h1><p class="note">This page refreshes by itself.</p>
<ul class="messages" id="messages">${items || '<li>No notifications yet.</li>'}</ul></main>
<script type="module" src="/dashboard/assets/track.js"></script></body></html>`;
}

const NOT_FOUND = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not found</title></head><body><h1>Not found</h1><p>This tracking link does not exist or has expired.</p></body></html>';

export async function trackingRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.post<{ Body: { job_id: string; ttl?: number } }>('/v1/tracking-links', {
    config: { scope: 'send' },
    schema: {
      tags: ['tracking'], summary: 'A public, expiring link to the statuses of one job\'s notifications (messages with metadata.job_id); the URL is shown once',
      body: { type: 'object', required: ['job_id'], additionalProperties: false, properties: { job_id: { type: 'string' }, ttl: { type: 'integer' } } },
    },
  }, async (req, reply) => {
    const { link, token } = await createTrackingLink(ctx.store, req.principal.accountId, req.body.job_id, req.body.ttl ?? 7 * 86_400);
    return reply.code(201).send(present(link, `${ctx.config.publicUrl}/track/${token}`));
  });

  app.get<{ Querystring: { account_id?: string } }>('/v1/tracking-links', {
    config: { scope: 'read' },
    schema: { tags: ['tracking'], summary: "The account's tracking links (never their URLs)", querystring: { type: 'object', additionalProperties: false, properties: { account_id: { type: 'string' } } } },
  }, async (req) => ({ data: (await ctx.store.listTrackingLinks(actingAccount(req.principal, req.query.account_id))).map((l) => present(l)) }));

  app.delete<{ Params: { id: string } }>('/v1/tracking-links/:id', {
    config: { scope: 'send' },
    schema: { tags: ['tracking'], summary: 'Revokes a tracking link: its page is gone at once' },
  }, async (req) => {
    if (!(await ctx.store.revokeTrackingLink(req.principal.accountId, req.params.id, Date.now()))) throw new AppError('not_found', `no active tracking link ${req.params.id}`);
    return { id: req.params.id, revoked: true };
  });

  // Public: the token is the credential. No API key, no cookie; nothing but this job.
  app.get<{ Params: { token: string } }>('/track/:token', { schema: { hide: true } }, async (req, reply) => {
    // The dashboard's page headers (never framed, scripts from here only), and no referrer: the URL is the secret.
    reply.headers(PAGE_SECURITY_HEADERS).header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').header('x-robots-tag', 'noindex');
    const json = req.params.token.endsWith('.json');
    const view = await trackingView(ctx.store, json ? req.params.token.slice(0, -5) : req.params.token);
    if (!view) return json ? reply.code(404).send({ error: { code: 'not_found', message: 'no such tracking link' } }) : reply.code(404).type('text/html; charset=utf-8').send(NOT_FOUND);
    if (json) return { job_id: view.jobId, expires_at: view.expiresAt, messages: view.messages };
    return reply.type('text/html; charset=utf-8').send(page(view.jobId, view.messages));
  });
}
