// The built-in carrier simulator: the default provider when none is configured, and a
// provider like any other for staging ("kind": "simulator"). It answers after a latency,
// fails at a configurable rate, and reports delivery through the same path a real
// provider uses: a signed status webhook stored raw, then processed.
//
// Magic destinations make behaviours reproducible (like Twilio's test numbers):
//   +15005550001 refused permanently · +15005550002 fails transiently every time
//   +15005550003 fails transiently once, then is sent · +15005550004 throttled once
//   +15005550005 sent, then reported undelivered · +15005550008 sent, no receipt ever
//   +15005550009 sent; with one part per segment, the last part is reported undelivered
// Carrier lookups: lookup.ts.
//
// Config: { latency_ms?, failure_rate?, undelivered_rate?, signing_secret_env?, from?,
//   parts?: "one" | "per_segment" (one provider id per segment, as Vonage and SMPP do),
//   early_receipts?: true (receipts become due at once, racing the send answer) }.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AdapterContext, FailureKind, InboundMessage, LookupResult, ProviderAdapter, ProviderModule, RawWebhook, Receipt, SendOutcome, SendRequest, SentPart, WebhookRequest } from '../provider.ts';
import { simulatorReceipt } from './receipts.ts';
import { simulatorError } from './errors.ts';
import { simulatedLookup } from './lookup.ts';

export const SIMULATOR_NUMBER = '+15005550006';
export const SIGNATURE_HEADER = 'x-simulator-signature';
const RECEIPT_GRACE_MS = 50;


// One secret per process unless configured: webhooks the simulator emits in-process are
// signed with it, so they pass the same verification as any posted webhook.
const processSecret = randomBytes(32).toString('hex');
// Provider message ids: a random tag per adapter instance, then a counter shared by all
// instances, so neither two simulators in one process nor a rebuilt adapter reuse an id;
// then the part's fate and when it is due, which the status lookup reads back.
let counter = 0;

type Fate = 'delivered' | 'undelivered' | 'never';
const FATES = { d: 'delivered', u: 'undelivered', n: 'never' } as const;

/** A part's provider id: unique, and carrying what will become of it and when (`SIM<tag><n>-<d|u|n><due, base 36>`). */
function simulatorId(tag: string, fate: Fate, at: number): string {
  return `SIM${tag}${(counter++).toString(36)}-${fate[0]}${at.toString(36)}`;
}

/** What a simulator id says will become of its part, or null for an id the simulator did not give. */
export function simulatedFate(id: string): { fate: Fate; at: number } | null {
  const m = /^SIM[0-9a-f]{10}[0-9a-z]+-([dun])([0-9a-z]+)$/.exec(id);
  return m ? { fate: FATES[m[1] as keyof typeof FATES], at: parseInt(m[2], 36) } : null;
}

export function validateSimulatorConfig(c: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const key of ['latency_ms', 'failure_rate', 'undelivered_rate']) {
    if (c[key] !== undefined && (typeof c[key] !== 'number' || (c[key] as number) < 0)) problems.push(`config.${key} must be a number >= 0`);
  }
  if (c.parts !== undefined && c.parts !== 'one' && c.parts !== 'per_segment') problems.push('config.parts must be "one" or "per_segment"');
  return problems;
}

export function createSimulator(ctx: AdapterContext): ProviderAdapter {
  const num = (key: string, def: number) => (typeof ctx.config[key] === 'number' ? (ctx.config[key] as number) : def);
  const latencyMs = num('latency_ms', ctx.settings.simulatorLatencyMs);
  const failureRate = num('failure_rate', ctx.settings.simulatorFailureRate);
  const undeliveredRate = num('undelivered_rate', ctx.settings.simulatorUndeliveredRate);
  const perSegment = ctx.config.parts === 'per_segment';
  const earlyReceipts = ctx.config.early_receipts === true;
  const secretEnv = typeof ctx.config.signing_secret_env === 'string' ? ctx.config.signing_secret_env : '';
  const secret = (secretEnv && ctx.secret(secretEnv)) || processSecret;
  const tag = randomBytes(5).toString('hex');

  const sign = (body: string) => createHmac('sha256', secret).update(body).digest('hex');
  const fail = (kind: FailureKind, providerCode: string, message: string, retryAfterMs?: number): SendOutcome =>
    ({ ok: false, error: { kind, code: simulatorError(providerCode), providerCode, message, ...(retryAfterMs ? { retryAfterMs } : {}) } });

  async function emitReceipt(providerMessageId: string, status: 'delivered' | 'undelivered', at: number, to: string): Promise<void> {
    const body = JSON.stringify({
      message_id: providerMessageId, status, timestamp: new Date(at).toISOString(), to,
      error_code: status === 'undelivered' ? '30003' : null,
    });
    await ctx.emitWebhook({ kind: 'status', body, headers: { [SIGNATURE_HEADER]: sign(body), 'content-type': 'application/json' }, processAfter: at });
  }

  return {
    kind: 'simulator',

    async send(req: SendRequest, signal: AbortSignal): Promise<SendOutcome> {
      if (latencyMs > 0) await sleep(latencyMs, undefined, { signal });
      const first = req.attempt <= 1;
      switch (req.to) {
        case '+15005550001': return fail('permanent', 'refused', 'the simulator refuses this number');
        // The destination's carrier, not the simulator, fails: the message retries on its attempts and the simulator's health is untouched.
        case '+15005550002': return fail('transient', 'destination_unavailable', "simulated outage of the destination's carrier");
        case '+15005550003': if (first) return fail('transient', 'destination_unavailable', 'simulated transient failure of the destination'); break;
        case '+15005550004': if (req.attempt <= 1) return fail('throttled', 'throttled', 'simulated throttling', 50); break;
      }
      if (req.to !== '+15005550003' && failureRate > 0 && Math.random() < failureRate) {
        return fail('transient', 'carrier_unavailable', 'simulated random failure');
      }
      const silent = req.to === '+15005550008';
      const undelivered = req.to === '+15005550005' || (undeliveredRate > 0 && Math.random() < undeliveredRate);
      // Like a real carrier, a receipt comes after the API answer: never sooner than
      // RECEIPT_GRACE_MS, so it normally finds our record of the provider's id.
      const at = earlyReceipts ? Date.now() : Date.now() + Math.max(latencyMs, RECEIPT_GRACE_MS);
      const parts: SentPart[] = Array.from({ length: perSegment ? req.segments : 1 }, (_, index) => {
        const lastFails = req.to === '+15005550009' && index === req.segments - 1;
        const fate: Fate = silent ? 'never' : undelivered || lastFails ? 'undelivered' : 'delivered';
        return { index, providerMessageId: simulatorId(tag, fate, at) };
      });
      // Parts are reported last to first, as carriers do not keep order.
      if (!silent) for (const part of [...parts].reverse()) await emitReceipt(part.providerMessageId, simulatedFate(part.providerMessageId)!.fate as 'delivered' | 'undelivered', at, req.to);
      return { ok: true, parts, segments: req.segments };
    },

    // The status lookup reconciliation asks: the fate a part was given when it was sent
    // is in its id, so any process (a restarted one too) answers it the same.
    async fetchStatus(ids: string[]): Promise<Receipt[]> {
      const now = Date.now();
      return ids.flatMap((id) => {
        const f = simulatedFate(id);
        if (!f) return [];
        const final = f.fate !== 'never' && now >= f.at;
        return [simulatorReceipt({ message_id: id, status: final ? f.fate : 'sent', timestamp: new Date(final ? f.at : now).toISOString(), error_code: final && f.fate === 'undelivered' ? '30003' : null })];
      });
    },

    async lookupNumber(number: string): Promise<LookupResult> {
      return simulatedLookup(number);
    },

    parseReceipts(raw: RawWebhook): Receipt[] {
      return [simulatorReceipt(JSON.parse(raw.body))];
    },

    parseInbound(raw: RawWebhook): InboundMessage[] {
      const b = JSON.parse(raw.body) as Record<string, unknown>;
      if (typeof b?.message_id !== 'string' || typeof b.from !== 'string' || typeof b.to !== 'string') throw new Error('simulator inbound without message_id/from/to');
      return [{ providerMessageId: b.message_id, from: b.from, to: b.to, body: typeof b.body === 'string' ? b.body : '' }];
    },

    async verify(req: WebhookRequest): Promise<boolean> {
      const given = req.headers[SIGNATURE_HEADER] ?? '';
      const want = sign(req.body);
      return given.length === want.length && timingSafeEqual(Buffer.from(given), Buffer.from(want));
    },
  };
}

export const simulator: ProviderModule = { kind: 'simulator', validate: validateSimulatorConfig, create: createSimulator, defaultFrom: SIMULATOR_NUMBER, simulated: true };
