// The built-in carrier simulator: the default provider when none is configured, and a
// provider like any other for staging ("kind": "simulator"). It answers after a latency,
// fails at a configurable rate, and reports delivery through the same path a real
// provider uses: a signed status webhook stored raw, then processed.
//
// Magic destinations make behaviours reproducible (like Twilio's test numbers):
//   +15005550001 refused permanently · +15005550002 fails transiently every time
//   +15005550003 fails transiently once, then is sent · +15005550004 throttled once
//   +15005550005 sent, then reported undelivered · +15005550008 sent, no receipt ever
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AdapterContext, InboundMessage, ProviderAdapter, RawWebhook, Receipt, SendOutcome, SendRequest } from '../provider.ts';
import { simulatorReceipt } from './receipts.ts';

export const SIMULATOR_NUMBER = '+15005550006';
export const SIGNATURE_HEADER = 'x-simulator-signature';
const RECEIPT_GRACE_MS = 50;

export interface SimulatorOptions { latencyMs: number; failureRate: number; undeliveredRate: number }

// One secret per process unless configured: webhooks the simulator emits in-process are
// signed with it, so they pass the same verification as any posted webhook.
const processSecret = randomBytes(32).toString('hex');
// Provider message ids: a random tag per adapter instance, then a counter shared by all
// instances, so neither two simulators in one process nor a rebuilt adapter reuse an id.
let counter = 0;

export function createSimulator(ctx: AdapterContext, defaults: SimulatorOptions): ProviderAdapter {
  const num = (key: string, def: number) => (typeof ctx.config[key] === 'number' ? (ctx.config[key] as number) : def);
  const latencyMs = num('latency_ms', defaults.latencyMs);
  const failureRate = num('failure_rate', defaults.failureRate);
  const undeliveredRate = num('undelivered_rate', defaults.undeliveredRate);
  const secretEnv = typeof ctx.config.signing_secret_env === 'string' ? ctx.config.signing_secret_env : '';
  const secret = (secretEnv && ctx.secret(secretEnv)) || processSecret;
  const tag = randomBytes(5).toString('hex');

  const sign = (body: string) => createHmac('sha256', secret).update(body).digest('hex');

  async function emitReceipt(providerMessageId: string, status: 'delivered' | 'undelivered', at: number): Promise<void> {
    const body = JSON.stringify({
      message_id: providerMessageId, status, timestamp: new Date(at).toISOString(),
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
        case '+15005550001': return { ok: false, error: { kind: 'permanent', code: 'invalid_number', message: 'the simulator refuses this number' } };
        case '+15005550002': return { ok: false, error: { kind: 'transient', code: 'carrier_unavailable', message: 'simulated carrier outage' } };
        case '+15005550003': if (first) return { ok: false, error: { kind: 'transient', code: 'carrier_unavailable', message: 'simulated transient failure' } }; break;
        case '+15005550004': if (req.attempt <= 1) return { ok: false, error: { kind: 'throttled', code: 'throttled', message: 'simulated throttling', retryAfterMs: 50 } }; break;
      }
      if (req.to !== '+15005550003' && failureRate > 0 && Math.random() < failureRate) {
        return { ok: false, error: { kind: 'transient', code: 'carrier_unavailable', message: 'simulated random failure' } };
      }
      const providerMessageId = `SIM${tag}${(counter++).toString(36)}`;
      if (req.to !== '+15005550008') {
        const undelivered = req.to === '+15005550005' || (undeliveredRate > 0 && Math.random() < undeliveredRate);
        // Like a real carrier, the receipt comes after the API answer: never sooner than
        // RECEIPT_GRACE_MS, so it normally finds our record of the provider's id.
        await emitReceipt(providerMessageId, undelivered ? 'undelivered' : 'delivered', Date.now() + Math.max(latencyMs, RECEIPT_GRACE_MS));
      }
      return { ok: true, providerMessageId, segments: req.segments };
    },

    parseReceipts(raw: RawWebhook): Receipt[] {
      return [simulatorReceipt(JSON.parse(raw.body))];
    },

    parseInbound(raw: RawWebhook): InboundMessage[] {
      const b = JSON.parse(raw.body) as { message_id: string; from: string; to: string; body: string };
      return [{ providerMessageId: b.message_id, from: b.from, to: b.to, body: b.body }];
    },

    verifySignature(raw: RawWebhook): boolean {
      const given = raw.headers[SIGNATURE_HEADER] ?? '';
      const want = sign(raw.body);
      return given.length === want.length && timingSafeEqual(Buffer.from(given), Buffer.from(want));
    },
  };
}
