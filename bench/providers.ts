// Each adapter's send cost against its loopback fake: machine time per send (elapsed /
// sends at 16 in flight), sends per second, and each send's latency. The fakes answer at
// once and run in this process, so the cost is the adapter's own work (building the
// request, the HTTP round trip on loopback, parsing; for AWS the SDK with its SigV4
// signing) plus the fake's side of the exchange.
import { loadConfig } from '../src/config.ts';
import type { ProviderAdapter, ProviderModule, SendRequest } from '../src/providers/provider.ts';
import { twilio } from '../src/providers/twilio/adapter.ts';
import { vonage } from '../src/providers/vonage/adapter.ts';
import { sinch } from '../src/providers/sinch/adapter.ts';
import { aws } from '../src/providers/aws/adapter.ts';
import { simulator } from '../src/providers/simulator/adapter.ts';
import { TwilioFake, FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN } from '../src/sandbox/twilio.ts';
import { VonageFake, FAKE_VONAGE_KEY, FAKE_VONAGE_SECRET, FAKE_VONAGE_SIGNATURE_SECRET } from '../src/sandbox/vonage.ts';
import { SinchFake, FAKE_SINCH_PLAN, FAKE_SINCH_TOKEN, FAKE_SINCH_CALLBACK_USER, FAKE_SINCH_CALLBACK_PASSWORD } from '../src/sandbox/sinch.ts';
import { AwsFake, FAKE_AWS_KEY_ID, FAKE_AWS_REGION, FAKE_AWS_SECRET, FAKE_TOPIC_ARN } from '../src/sandbox/aws.ts';

const SENDS = Number(process.env.BENCH_PROVIDER_SENDS ?? 3000);
const IN_FLIGHT = 16;

interface Case { module: ProviderModule; start(): Promise<{ config: Record<string, unknown>; secrets: Record<string, string>; stop(): Promise<void> }> }

const cases: Case[] = [
  { module: simulator, async start() { return { config: { latency_ms: 0 }, secrets: {}, stop: async () => {} }; } },
  {
    module: twilio,
    async start() {
      const f = await new TwilioFake().start();
      f.plan = { statuses: [], delayMs: 0 };
      return { config: { account_sid: FAKE_ACCOUNT_SID, auth_token_env: 'T', base_url: f.url }, secrets: { T: FAKE_AUTH_TOKEN }, stop: () => f.stop() };
    },
  },
  {
    module: vonage,
    async start() {
      const f = await new VonageFake().start();
      f.plan = { status: 'delivered', delayMs: 0, lost: true };
      return { config: { api_key: FAKE_VONAGE_KEY, api_secret_env: 'S', signature_secret_env: 'G', base_url: f.url }, secrets: { S: FAKE_VONAGE_SECRET, G: FAKE_VONAGE_SIGNATURE_SECRET }, stop: () => f.stop() };
    },
  },
  {
    module: sinch,
    async start() {
      const f = await new SinchFake().start();
      f.plan = { statuses: [], delayMs: 0 };
      return { config: { service_plan_id: FAKE_SINCH_PLAN, api_token_env: 'T', callback_username: FAKE_SINCH_CALLBACK_USER, callback_password_env: 'C', base_url: f.url }, secrets: { T: FAKE_SINCH_TOKEN, C: FAKE_SINCH_CALLBACK_PASSWORD }, stop: () => f.stop() };
    },
  },
  {
    module: aws,
    async start() {
      const f = await new AwsFake().start();
      return { config: { region: FAKE_AWS_REGION, endpoint: f.url, access_key_id_env: 'K', secret_access_key_env: 'S', from: '+14155550166', topic_arn: FAKE_TOPIC_ARN }, secrets: { K: FAKE_AWS_KEY_ID, S: FAKE_AWS_SECRET }, stop: () => f.stop() };
    },
  },
];

const request = (i: number): SendRequest => ({
  messageId: `msg_bench${i}`, attempt: 1, to: '+14155550100', from: '+14155550199', body: 'Your code is 123456', encoding: 'GSM-7', segments: 1,
  statusCallbackUrl: 'https://sb.example.com/webhooks/p/status',
});

export async function benchProviders(): Promise<void> {
  for (const c of cases) {
    const { config, secrets, stop } = await c.start();
    const adapter: ProviderAdapter = c.module.create({
      providerId: 'bench', config, publicUrl: 'https://sb.example.com', settings: loadConfig({}, { simulatorLatencyMs: 0 }),
      secret: (n) => secrets[n], emitWebhook: async () => {},
    });
    for (let i = 0; i < 200; i++) await adapter.send(request(i), AbortSignal.timeout(5000)); // warm-up: connections, JIT, the AWS SDK load
    const times: number[] = [];
    let next = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (next < SENDS) {
        const i = next++;
        const s = performance.now();
        const out = await adapter.send(request(i), AbortSignal.timeout(5000));
        if (!out.ok) throw new Error(`${c.module.kind}: ${JSON.stringify(out.error)}`);
        times.push(performance.now() - s);
      }
    }));
    const elapsed = (performance.now() - t0) / 1000;
    times.sort((a, b) => a - b);
    const us = (q: number) => Math.round(times[Math.floor(q * (times.length - 1))] * 1000);
    // Cost: machine time per send (fake and adapter share this process, so it includes the fake's side).
    console.log(`send through ${c.module.kind.padEnd(10)} ${String(Math.round((elapsed * 1e6) / SENDS)).padStart(5)} µs per send   ${Math.round(SENDS / elapsed)} sends/s at ${IN_FLIGHT} in flight   latency p50 ${(us(0.5) / 1000).toFixed(1)} ms p99 ${(us(0.99) / 1000).toFixed(1)} ms`);
    await adapter.close?.();
    await stop();
  }
}

if (import.meta.main) await benchProviders();
