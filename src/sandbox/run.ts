// Starts a provider sandbox as a product feature (`switchboard sandbox <kind>`): the
// provider-shaped server, its scripted behaviour, its control API, and what to give
// Switchboard (or your own code) to use it: the provider record, and the environment
// variables holding the sandbox's credentials (they are made up: a sandbox is no secret).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { TwilioFake, FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN } from './twilio.ts';
import { VonageFake, FAKE_VONAGE_KEY, FAKE_VONAGE_SECRET, FAKE_VONAGE_SIGNATURE_SECRET } from './vonage.ts';
import { SinchFake, FAKE_SINCH_PLAN, FAKE_SINCH_TOKEN, FAKE_SINCH_CALLBACK_USER, FAKE_SINCH_CALLBACK_PASSWORD } from './sinch.ts';
import { AwsFake, FAKE_AWS_KEY_ID, FAKE_AWS_SECRET, FAKE_AWS_REGION, FAKE_TOPIC_ARN } from './aws.ts';
import { SmscFake, FAKE_SMPP_SYSTEM_ID, FAKE_SMPP_PASSWORD } from './smsc.ts';
import { controlServer, type Sandboxed } from './control.ts';
import type { Script } from './script.ts';
import type { LoopbackFake } from './loopback.ts';

export const SANDBOX_KINDS = ['twilio', 'vonage', 'sinch', 'aws', 'smpp'] as const;
export type SandboxKind = (typeof SANDBOX_KINDS)[number];

export interface SandboxOptions {
  port?: number;
  host?: string;
  /** the SMPP sandbox's control API (default: its port + 1) */
  controlPort?: number;
  script?: Script | null;
  /** where inbound texts go when a control request names no url */
  inboundUrl?: string;
  /** AWS: where the SNS topic delivers delivery events (Switchboard's /webhooks/<id>/status) */
  statusUrl?: string;
  /** AWS: where to write the SNS signing certificate's trust file (SWITCHBOARD_SNS_TRUST) */
  snsTrustFile?: string;
}

export interface RunningSandbox {
  kind: SandboxKind;
  target: Sandboxed;
  /** the provider API's address (SMPP: host:port) */
  url: string;
  /** the control API's base URL */
  controlUrl: string;
  /** the provider record for POST /v1/providers (its config names the env vars below) */
  provider: { kind: string; config: Record<string, unknown> };
  /** the environment variables the record names, with the sandbox's values */
  env: Record<string, string>;
  stop(): Promise<void>;
}

type Built = Omit<RunningSandbox, 'kind'>;

/** Each kind: its server, started, and the record and environment that reach it. */
const KINDS: Record<SandboxKind, (o: SandboxOptions, host: string) => Promise<Built>> = {
  async smpp(o, host) {
    const smsc = await new SmscFake().start(o.port ?? 0, host);
    smsc.script = o.script ?? null;
    const control: Server = controlServer(smsc);
    // The next port after a chosen one; a free one beside an ephemeral SMSC (the next may be taken).
    await new Promise<void>((resolve, reject) => {
      control.once('error', reject);
      control.listen(o.controlPort ?? (o.port ? smsc.port + 1 : 0), host, () => { control.off('error', reject); resolve(); });
    }).catch(async (err) => { await smsc.stop(); throw err; });
    const shown = host.includes(':') ? `[${host}]` : host;
    return {
      target: smsc, url: `${shown}:${smsc.port}`, controlUrl: `http://${shown}:${(control.address() as AddressInfo).port}`,
      provider: { kind: 'smpp', config: { host, port: smsc.port, system_id: FAKE_SMPP_SYSTEM_ID, password_env: 'SMPP_SANDBOX_PASSWORD' } },
      env: { SMPP_SANDBOX_PASSWORD: FAKE_SMPP_PASSWORD },
      async stop() { await new Promise((r) => control.close(r)); await smsc.stop(); },
    };
  },
  async twilio(o, host) {
    const fake = await http(new TwilioFake(), o, host);
    return { ...fake, provider: { kind: 'twilio', config: { account_sid: FAKE_ACCOUNT_SID, auth_token_env: 'TWILIO_SANDBOX_TOKEN', base_url: fake.url } }, env: { TWILIO_SANDBOX_TOKEN: FAKE_AUTH_TOKEN } };
  },
  async vonage(o, host) {
    const fake = await http(new VonageFake(), o, host);
    return {
      ...fake, provider: { kind: 'vonage', config: { api_key: FAKE_VONAGE_KEY, api_secret_env: 'VONAGE_SANDBOX_SECRET', signature_secret_env: 'VONAGE_SANDBOX_SIGNATURE', base_url: fake.url, insight_base_url: fake.url } },
      env: { VONAGE_SANDBOX_SECRET: FAKE_VONAGE_SECRET, VONAGE_SANDBOX_SIGNATURE: FAKE_VONAGE_SIGNATURE_SECRET },
    };
  },
  async sinch(o, host) {
    const fake = await http(new SinchFake(), o, host);
    return {
      ...fake, provider: { kind: 'sinch', config: { service_plan_id: FAKE_SINCH_PLAN, api_token_env: 'SINCH_SANDBOX_TOKEN', callback_username: FAKE_SINCH_CALLBACK_USER, callback_password_env: 'SINCH_SANDBOX_CALLBACK', base_url: fake.url } },
      env: { SINCH_SANDBOX_TOKEN: FAKE_SINCH_TOKEN, SINCH_SANDBOX_CALLBACK: FAKE_SINCH_CALLBACK_PASSWORD },
    };
  },
  async aws(o, host) {
    const aws = new AwsFake();
    aws.subscriptionUrl = o.statusUrl ?? '';
    const fake = await http(aws, o, host);
    // SNS messages are signed with a certificate Switchboard fetches from AWS: a process of
    // its own trusts the sandbox's only when told to (SWITCHBOARD_SNS_TRUST names this file).
    if (o.snsTrustFile) writeFileSync(o.snsTrustFile, JSON.stringify({ [aws.certUrl]: aws.publicKeyPem }));
    return {
      ...fake, provider: { kind: 'aws', config: { region: FAKE_AWS_REGION, topic_arn: FAKE_TOPIC_ARN, access_key_id_env: 'AWS_SANDBOX_KEY_ID', secret_access_key_env: 'AWS_SANDBOX_SECRET', endpoint: fake.url } },
      env: { AWS_SANDBOX_KEY_ID: FAKE_AWS_KEY_ID, AWS_SANDBOX_SECRET: FAKE_AWS_SECRET },
    };
  },
};

/** An HTTP sandbox, started with the options every kind shares. */
async function http(fake: LoopbackFake, o: SandboxOptions, host: string): Promise<Pick<Built, 'target' | 'url' | 'controlUrl' | 'stop'>> {
  await fake.start(o.port ?? 0, host);
  fake.script = o.script ?? null;
  fake.inboundUrl = o.inboundUrl ?? '';
  return { target: fake, url: fake.url, controlUrl: fake.url, stop: () => fake.stop() };
}

/** Starts a sandbox of `kind`. */
export async function startSandbox(kind: SandboxKind, o: SandboxOptions = {}): Promise<RunningSandbox> {
  return { kind, ...(await KINDS[kind](o, o.host ?? '127.0.0.1')) };
}
