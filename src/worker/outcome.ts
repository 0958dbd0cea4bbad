// Turns one attempt's result into the write-back for the ledger (pure). Only the worker
// acts on a failure's kind: transient → retry with backoff until maxAttempts; throttled →
// retry on its own, larger budget honouring Retry-After; permanent → failed at once.
import { heldFor, type SendWindow } from '../domain/send-window.ts';
import { newId } from '../domain/ids.ts';
import type { AttemptRow, EventRow, MessagePartRow, MessageRow, Outcome } from '../store/store.ts';
import type { SendOutcome } from '../providers/provider.ts';
import { backoffMs } from '../loop/backoff.ts';
import { announce } from '../callbacks/enqueue.ts';

/** Adds the caller's callback and the event for the status the outcome sets. */
function withCallback(row: MessageRow, o: Omit<Outcome, 'callback'>): Outcome {
  return { ...o, ...announce({ ...row, ...o.set, updated_at: o.now, lease_owner: null }, o.now) };
}

export interface RetryPolicy { maxAttempts: number; maxThrottledAttempts: number; backoffBaseMs: number; backoffMaxMs: number }

export function expiredOutcome(row: MessageRow, owner: string, now: number): Outcome {
  return withCallback(row, {
    messageId: row.id, leaseOwner: owner, now, attempts: [], parts: [],
    set: { status: 'expired', attempts: row.attempts - 1, throttled_attempts: row.throttled_attempts, next_attempt_at: null, final_at: now, error_code: 'validity_period_expired', error_message: 'the message was not sent within its validity period' },
    event: { id: newId('evt'), message_id: row.id, type: 'status', status: 'expired', provider_id: null, provider_status: null, error_code: 'validity_period_expired', webhook_id: null, occurred_at: now, created_at: now, detail: null },
  });
}

export function noRouteOutcome(row: MessageRow, owner: string, now: number, why: string): Outcome {
  return withCallback(row, {
    messageId: row.id, leaseOwner: owner, now, attempts: [], parts: [],
    set: { status: 'failed', attempts: row.attempts, throttled_attempts: row.throttled_attempts, next_attempt_at: null, final_at: now, error_code: 'no_route', error_message: why },
    event: { id: newId('evt'), message_id: row.id, type: 'status', status: 'failed', provider_id: null, provider_status: null, error_code: 'no_route', webhook_id: null, occurred_at: now, created_at: now, detail: null },
  });
}

/** A carrier lookup found a landline: no SMS can reach it, so none is sent (final, no attempt). */
export function notMobileOutcome(row: MessageRow, owner: string, now: number, detail: string): Outcome {
  return withCallback(row, {
    messageId: row.id, leaseOwner: owner, now, attempts: [], parts: [],
    set: { status: 'failed', attempts: row.attempts - 1, throttled_attempts: row.throttled_attempts, next_attempt_at: null, final_at: now, error_code: 'not_mobile', error_message: detail },
    event: { id: newId('evt'), message_id: row.id, type: 'status', status: 'failed', provider_id: null, provider_status: null, error_code: 'not_mobile', webhook_id: null, occurred_at: now, created_at: now, detail },
  });
}

/**
 * Failover on no receipt, with no provider left but the silent one: the message goes back
 * to `sent`, waiting for that one's receipt as before (no send, no attempt used).
 */
export function noFailoverRouteOutcome(row: MessageRow, owner: string, now: number): Outcome {
  return {
    messageId: row.id, leaseOwner: owner, now, attempts: [], parts: [], callback: null,
    set: { status: 'sent', attempts: row.attempts - 1, throttled_attempts: row.throttled_attempts, next_attempt_at: null },
    event: failoverEvent(row, now, `no receipt from ${row.failover_from} in time, and no other provider can take it: still waiting for that receipt`),
  };
}

/** The event that says why a message was sent once more (or could not be). */
export function failoverEvent(row: MessageRow, now: number, detail: string): EventRow {
  return { id: newId('evt'), message_id: row.id, type: 'status', status: 'sent', provider_id: row.failover_from ?? null, provider_status: null, error_code: null, webhook_id: null, occurred_at: now, created_at: now, detail };
}

/** Every number routing could use was at its rate limit: the message waits, using up nothing. */
export function deferredOutcome(row: MessageRow, owner: string, now: number, waitMs: number): Outcome {
  return {
    messageId: row.id, leaseOwner: owner, now, attempts: [], parts: [], event: null, callback: null,
    set: { status: 'queued', attempts: row.attempts - 1, throttled_attempts: row.throttled_attempts, next_attempt_at: now + Math.max(1, Math.round(waitMs)) },
  };
}

/**
 * No route can take the message now (DESIGN.md §1, "a dead route is not a failed
 * message"): it waits queued until `until`, using no attempt; the attempts that found the
 * routes down are recorded. It expires when its validity period ends, as any message.
 */
export function waitOutcome(row: MessageRow, owner: string, now: number, until: number, attempts: AttemptRow[], why: string, code: 'route_unavailable' | 'no_provider_configured' = 'route_unavailable'): Outcome {
  const last = attempts.at(-1);
  return {
    messageId: row.id, leaseOwner: owner, now, parts: [], event: null, callback: null,
    attempts: attempts.map((a, i) => (i < attempts.length - 1 ? { ...a, failover: 1 } : a)),
    set: {
      status: 'queued', attempts: row.attempts - 1, throttled_attempts: row.throttled_attempts, next_attempt_at: until,
      error_code: code, error_message: why, provider_error_code: last?.provider_error_code ?? null,
    },
  };
}

/** Whether a message's send window (stored JSON) is closed now: when it opens, and why. */
export function heldAgain(stored: string, now: number): { at: number; why: string } | null {
  const w = JSON.parse(stored) as SendWindow & { zones: string[] };
  return heldFor(w, w.zones, now);
}

/** Quiet hours reached while it waited (a backlog): back to scheduled until its window opens, using no attempt. */
export function heldOutcome(row: MessageRow, owner: string, now: number, held: { at: number; why: string }): Outcome {
  return {
    messageId: row.id, leaseOwner: owner, now, attempts: [], parts: [], event: null, callback: null,
    set: { status: 'scheduled', attempts: row.attempts - 1, throttled_attempts: row.throttled_attempts, next_attempt_at: held.at, error_code: 'quiet_hours', error_message: held.why },
  };
}

export interface RouteUsed { providerId: string; from: string; simulated?: boolean }

/** The attempt row for one send through one route. */
export function attemptRow(row: MessageRow, route: RouteUsed, result: SendOutcome, started: number, finished: number): AttemptRow {
  return {
    id: newId('att'), message_id: row.id, attempt: row.attempts + row.throttled_attempts, provider_id: route.providerId, from_number: route.from,
    outcome: result.ok ? 'sent' : result.error.kind,
    error_code: result.ok ? null : result.error.code, error_message: result.ok ? null : result.error.message,
    provider_error_code: result.ok ? null : result.error.providerCode ?? null,
    provider_message_id: result.ok ? result.parts[0]?.providerMessageId ?? null : null, started_at: started, finished_at: finished, failover: 0,
  };
}

/**
 * The outcome of the claim's last attempt (`result` through `route`), after `earlier`
 * attempts in the same claim that failed over to the next route.
 */
export function attemptOutcome(
  row: MessageRow, owner: string, route: RouteUsed,
  result: SendOutcome, started: number, now: number, policy: RetryPolicy, random = Math.random, earlier: AttemptRow[] = [],
): Outcome {
  const attempts = [...earlier.map((a) => ({ ...a, failover: 1 })), attemptRow(row, route, result, started, now)];
  const base = { messageId: row.id, leaseOwner: owner, now, attempts, parts: [] as MessagePartRow[], event: null };
  if (result.ok) {
    const parts = result.parts.map((p): MessagePartRow => ({
      message_id: row.id, part_index: p.index, provider_id: route.providerId, provider_message_id: p.providerMessageId,
      status: 'sent', error_code: null, error_message: null, provider_error_code: null, created_at: now, updated_at: now, reconciled_at: null,
    }));
    // Failover on no receipt: the first send sets when to send once more; the resend keeps the first provider's parts, superseded.
    const resend = row.failover_from != null;
    return withCallback(row, { ...base, parts, ...(resend ? { supersedeParts: true } : {}), set: {
      status: 'sent', attempts: row.attempts, throttled_attempts: row.throttled_attempts, next_attempt_at: null,
      ...(row.failover_after_ms && !resend ? { failover_at: now + row.failover_after_ms } : {}),
      // The message's provider id is its first part's (all of them are in `parts`).
      provider_id: route.providerId, provider_message_id: result.parts[0]?.providerMessageId ?? null, from_number: route.from, sent_at: now, simulated: route.simulated ? 1 : 0,
      error_code: null, error_message: null, provider_error_code: null, ...(result.price ? { price: result.price } : {}),
    } });
  }
  const err = result.error;
  const failed = { status: 'failed' as const, next_attempt_at: null, final_at: now, provider_id: route.providerId, from_number: route.from, error_code: err.code, error_message: err.message, provider_error_code: err.providerCode ?? null };
  if (err.kind === 'throttled') {
    // A throttle is the provider asking us to slow down, not a failure of this message:
    // it does not use up the ordinary attempts.
    const throttled = row.throttled_attempts + 1;
    const attempts = row.attempts - 1;
    if (throttled >= policy.maxThrottledAttempts) return withCallback(row, { ...base, set: { ...failed, attempts, throttled_attempts: throttled } });
    const wait = err.retryAfterMs ?? backoffMs(throttled, policy.backoffBaseMs, policy.backoffMaxMs, random);
    return { ...base, callback: null, set: { status: 'queued', attempts, throttled_attempts: throttled, next_attempt_at: now + wait, error_code: err.code, error_message: err.message, provider_error_code: err.providerCode ?? null } };
  }
  if (err.kind === 'transient' && row.attempts < policy.maxAttempts) {
    const wait = backoffMs(row.attempts, policy.backoffBaseMs, policy.backoffMaxMs, random);
    return { ...base, callback: null, set: { status: 'queued', attempts: row.attempts, throttled_attempts: row.throttled_attempts, next_attempt_at: now + wait, error_code: err.code, error_message: err.message, provider_error_code: err.providerCode ?? null } };
  }
  return withCallback(row, { ...base, set: { ...failed, attempts: row.attempts, throttled_attempts: row.throttled_attempts } });
}
