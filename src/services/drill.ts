// Failover drills: on the live configuration, one provider is marked failing for the
// drill's own message only (the worker sends nothing to it and leaves its health alone),
// a real test message goes to an operator's number, and the drill proves the backup path
// carried it (which provider, from which number, how long) and that the failover was
// counted where the failover alert looks. Nothing is changed to run it, so nothing needs
// restoring, and other traffic is unaffected. The result is stored (GET /v1/drills, and
// the latest in /v1/status).
import { AppError } from '../domain/errors.ts';
import { newId } from '../domain/ids.ts';
import { requireOperator, type Actor } from '../domain/actor.ts';
import type { Config } from '../config.ts';
import type { Intake } from '../intake/accept-message.ts';
import type { Router } from '../routing/choose-route.ts';
import type { AlertStore, DrillRow, MessageLedger, MessageRow } from '../store/store.ts';

/** What this needs of the store. */
export type DrillStore = Pick<AlertStore, 'recordDrill'> & Pick<MessageLedger, 'countFailovers' | 'listAttempts'>;

/** Waits for a message's send outcome (http/waiters.ts in the server). */
interface WaitForOutcome { wait(id: string, ms: number): Promise<MessageRow | null> }

export interface DrillResult {
  id: string; provider: string; to: string; message_id: string; passed: boolean; status: string;
  carried_by: string | null; from: string | null; latency_ms: number | null; failed_over_from: string[];
  alert: { rule: 'failovers'; counted: boolean; failovers_in_window: number; fires_above: number };
  reason: string | null; at: string;
}

export async function runDrill(deps: { store: DrillStore; intake: Intake; router: Router; waiters: WaitForOutcome; config: Config }, actor: Actor, opts: { provider?: string; to?: string }): Promise<DrillResult> {
  requireOperator(actor, 'failover drills');
  const { store, config } = deps;
  const to = opts.to ?? (config.alertSmsTo || undefined);
  if (!to) throw new AppError('validation_error', 'give `to` (an operator number), or set SWITCHBOARD_ALERT_SMS_TO', { field: 'to' });
  const id = newId('drl');
  // Which provider to fail: the one named, or the one the message would go to first.
  const probe = await deps.intake.prepare({ to, body: 'drill' }, { accountId: 'default', keyId: null });
  const plan = await deps.router.plan(probe, Date.now(), { dryRun: true });
  if (!plan.ok) throw new AppError('validation_error', `no route to ${to}: ${plan.reason}`, { field: 'to' });
  const provider = opts.provider ?? plan.routes[0].provider.id;
  if (!plan.routes.some((r) => r.provider.id === provider)) throw new AppError('validation_error', `${provider} is not a route to ${to}`, { field: 'provider' });
  if (plan.routes.length < 2) throw new AppError('validation_error', `only ${provider} can reach ${to}: there is no backup path to prove`, { field: 'provider' });
  const since = Date.now() - config.alertWindowMs;
  const before = await store.countFailovers(since);
  const { message } = await deps.intake.accept(
    { to, body: `Switchboard failover drill ${id}: no action needed.`, metadata: { switchboard_drill: id, switchboard_drill_fail: provider } },
    { accountId: 'default', keyId: null, signsCallbacks: true },
  );
  const done = await deps.waiters.wait(message.id, Math.min(30, config.maxWaitSeconds) * 1000);
  const attempts = await store.listAttempts(message.id);
  const sent = attempts.find((a) => a.outcome === 'sent');
  const after = await store.countFailovers(since);
  const failedOver = attempts.filter((a) => a.failover === 1).map((a) => a.provider_id);
  const passed = !!sent && sent.provider_id !== provider && failedOver.includes(provider);
  const result: DrillResult = {
    id, provider, to, message_id: message.id, passed, status: (done ?? message).status,
    carried_by: sent?.provider_id ?? null, from: sent?.from_number ?? null,
    latency_ms: sent ? sent.finished_at - message.created_at : null, failed_over_from: failedOver,
    alert: { rule: 'failovers', counted: after > before, failovers_in_window: after, fires_above: config.alertFailovers },
    reason: passed ? null : !sent ? 'the message was not sent within the wait' : sent.provider_id === provider ? 'the failing provider carried it' : 'no failover was recorded',
    at: new Date().toISOString(),
  };
  const row: DrillRow = { id, provider_id: provider, to_number: to, message_id: message.id, passed: passed ? 1 : 0, result: JSON.stringify(result), created_at: Date.now() };
  await store.recordDrill(row);
  return result;
}
