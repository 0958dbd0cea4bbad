// Tracking links: a public page for one job's notifications (every message of one
// account with the same metadata.job_id). The token is 32 random bytes, shown once;
// only its SHA-256 is stored, so a database read cannot forge a link. A link expires
// (ttl, at most 90 days) and can be revoked; a wrong, expired or revoked token reads as
// nothing at all. The page shows statuses as a short timeline and recipients masked.
import { createHash, randomBytes } from 'node:crypto';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { AppError } from '../domain/errors.ts';
import { newId } from '../domain/ids.ts';
import type { AttemptRow, EventRow, MessageLedger, MessageRow, RecordStore, TrackingLinkRow } from '../store/store.ts';

export const MAX_TTL_SECONDS = 90 * 86_400;
const hash = (token: string) => createHash('sha256').update(token).digest('hex');

export async function createTrackingLink(store: RecordStore, accountId: string, jobId: string, ttlSeconds: number, now = Date.now()): Promise<{ link: TrackingLinkRow; token: string }> {
  if (!/^[\w.:-]{1,128}$/.test(jobId)) throw new AppError('validation_error', 'job_id must be 1-128 letters, digits or ._:-', { field: 'job_id' });
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 60 || ttlSeconds > MAX_TTL_SECONDS) throw new AppError('validation_error', `ttl must be 60-${MAX_TTL_SECONDS} seconds`, { field: 'ttl' });
  const token = randomBytes(32).toString('base64url');
  const link: TrackingLinkRow = { id: newId('trk'), account_id: accountId, job_id: jobId, token_hash: hash(token), created_at: now, expires_at: now + ttlSeconds * 1000, revoked_at: null };
  await store.createTrackingLink(link);
  return { link, token };
}

/** `+1 415 •••• 0100`: the country code, the first group and the last four digits. */
export function maskNumber(e164: string): string {
  const p = parsePhoneNumberFromString(e164);
  const digits = e164.replace(/\D/g, '');
  if (!p) return `+${digits.slice(0, 2)} •••• ${digits.slice(-4)}`;
  const national = p.nationalNumber.toString();
  const head = national.slice(0, Math.min(3, Math.max(0, national.length - 6)));
  return `+${p.countryCallingCode}${head ? ` ${head}` : ''} •••• ${national.slice(-4)}`;
}

export interface TrackedMessage { to: string; status: string; steps: { at: string; label: string }[] }

function steps(m: MessageRow, attempts: AttemptRow[], events: EventRow[]): { at: string; label: string }[] {
  const iso = (t: number) => new Date(t).toISOString();
  const out = [{ at: iso(m.created_at), label: 'Accepted' }];
  for (const a of attempts) {
    if (a.outcome === 'sent') out.push({ at: iso(a.finished_at), label: 'Sent' });
    else out.push({ at: iso(a.finished_at), label: a.failover ? 'Provider failed; moved to the backup' : 'Send failed; will retry' });
  }
  for (const e of events) {
    if (e.status === 'delivered') out.push({ at: iso(e.occurred_at), label: 'Delivered' });
    else if (e.status === 'undelivered' || e.status === 'failed') out.push({ at: iso(e.occurred_at), label: 'Not delivered' });
    else if (e.status === 'expired') out.push({ at: iso(e.occurred_at), label: 'Expired' });
    else if (e.status === 'canceled') out.push({ at: iso(e.occurred_at), label: 'Canceled' });
  }
  return out.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

/** What a token shows: its job's messages, or null for a token that is wrong, expired or revoked. */
export async function trackingView(store: RecordStore & MessageLedger, token: string, now = Date.now()): Promise<{ jobId: string; expiresAt: string; messages: TrackedMessage[] } | null> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
  const link = await store.findTrackingLinkByHash(hash(token));
  if (!link || link.revoked_at !== null || link.expires_at <= now) return null;
  const rows = await store.listMessages({ accountId: link.account_id, limit: 50, metadata: { job_id: link.job_id } });
  const messages: TrackedMessage[] = [];
  for (const m of rows.reverse()) {
    const [attempts, events] = await Promise.all([store.listAttempts(m.id), store.listEvents(m.id)]);
    messages.push({ to: maskNumber(m.to_number), status: m.status, steps: steps(m, attempts, events) });
  }
  return { jobId: link.job_id, expiresAt: new Date(link.expires_at).toISOString(), messages };
}
