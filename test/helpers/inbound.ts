// The set-up the inbound end-to-end tests share: Switchboard on loopback with one Twilio
// provider "twilio-main" pointing at a Twilio fake, and the inbound webhook URL the fake
// signs its texts for.
import assert from 'node:assert/strict';
import { startApp, type TestApp } from './app.ts';
import { freePort } from './net.ts';
import { TwilioFake, FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN } from '../../src/sandbox/twilio.ts';
import type { Config } from '../../src/config.ts';

export interface InboundRig { t: TestApp; fake: TwilioFake; inboundUrl: string; stop(): Promise<void> }

/**
 * `tokenEnv` names the env var holding the fake's auth token (one per test file, so files
 * running at once never share it); `numbers`: business numbers of the provider (a string:
 * the default pool; `{ number, pool }` for another).
 */
export async function startInboundRig(tokenEnv: string, overrides: Partial<Record<keyof Config, unknown>> = {}, numbers: (string | { number: string; pool: string })[] = []): Promise<InboundRig> {
  process.env[tokenEnv] = FAKE_AUTH_TOKEN;
  const fake = await new TwilioFake().start();
  const port = await freePort();
  const t = await startApp({ port, publicUrl: `http://127.0.0.1:${port}`, ...overrides });
  const r = await t.call('POST', '/v1/providers', { id: 'twilio-main', kind: 'twilio', prices: { US: '0.0079' }, config: { account_sid: FAKE_ACCOUNT_SID, auth_token_env: tokenEnv, base_url: fake.url } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  for (const n of numbers) {
    const made = await t.call('POST', '/v1/numbers', { ...(typeof n === 'string' ? { number: n } : n), provider_id: 'twilio-main', rate_per_second: 100 });
    assert.equal(made.status, 201, JSON.stringify(made.body));
  }
  return {
    t, fake, inboundUrl: `${t.config.publicUrl}/webhooks/twilio-main/inbound`,
    async stop() { await t.stop(); await fake.stop(); delete process.env[tokenEnv]; },
  };
}
