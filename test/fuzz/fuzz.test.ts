// Property-based fuzzing (fast-check) of everything that takes outside input: intake and
// the webhook routes over the real server, every provider's parsers, the records an
// `apply` file carries, phone numbers and bodies. FUZZ_RUNS sets the inputs per target
// (bench/fuzz.ts runs 100,000); failures print the shrunk counterexample.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startApp, type TestApp } from '../helpers/app.ts';
import { makeSqliteStore, type TestStore } from '../helpers/stores.ts';
import { AppError } from '../../src/domain/errors.ts';
import { CLI_OPERATOR } from '../../src/domain/actor.ts';
import { upsertProvider } from '../../src/services/providers.ts';
import { upsertNumber } from '../../src/services/numbers.ts';
import { upsertRelayRule } from '../../src/services/relay-rules.ts';
import { upsertCountryRule } from '../../src/services/country-rules.ts';
import { assertClientError, assertParses, assertTextRules, nastyText, parserAdapters, phoneLike, rawWebhook, sendBody } from './targets.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 400);

describe('fuzzing', () => {
  let t: TestApp;
  before(async () => { t = await startApp({ simulatorLatencyMs: 0 }); });
  after(async () => { await t.stop(); });

  it('intake answers any body with a 2xx or a catalogued 4xx, never a 5xx', async () => {
    await fc.assert(fc.asyncProperty(sendBody, fc.constantFrom('', '?wait=0', '?wait=abc'), async (body, query) => {
      const res = await t.app.server!.inject({ method: 'POST', url: `/v1/messages${query}`, headers: { authorization: 'Bearer test-admin-key-not-a-secret', 'content-type': 'application/json' }, payload: JSON.stringify(body) ?? '' });
      assertClientError(res.statusCode, res.json(), body);
    }), { numRuns: RUNS });
  });

  it('the webhook routes refuse any unsigned input without a 5xx, and store nothing', async () => {
    const before = new Set((await t.app.ctx.store.listWebhooks({})).map((w) => w.id));
    await fc.assert(fc.asyncProperty(rawWebhook, fc.constantFrom('status', 'inbound'), fc.constantFrom('POST', 'GET'), async (w, kind, method) => {
      const res = await t.app.server!.inject({ method, url: `/webhooks/simulator/${kind}?${new URLSearchParams(w.query)}`, headers: { 'content-type': w.contentType || 'text/plain' }, payload: method === 'POST' ? w.body : undefined });
      assert.ok(res.statusCode === 403 || res.statusCode === 404 || res.statusCode === 400, `${res.statusCode}: ${res.body}`);
    }), { numRuns: RUNS });
    // Nothing fuzzed was stored. (The simulator's own receipts for the messages the intake
    // fuzzing accepted may still arrive meanwhile: those are genuine.)
    const added = (await t.app.ctx.store.listWebhooks({})).filter((w) => !before.has(w.id));
    for (const w of added) assert.match(String((JSON.parse(w.body) as { message_id?: unknown }).message_id), /^SIM/, `stored: ${w.body.slice(0, 200)}`);
  });

  it('every provider\'s parsers answer well-formed records or an Error, whatever they are given', () => {
    const adapters = parserAdapters();
    fc.assert(fc.property(rawWebhook, (w) => { for (const a of adapters) assertParses(a, w); }), { numRuns: RUNS });
  });

  it('phone numbers and bodies never throw, and segments add up', () => {
    fc.assert(fc.property(phoneLike, nastyText, (phone, body) => assertTextRules(phone, body)), { numRuns: RUNS * 5 });
  });

  describe('records an apply file carries', () => {
    let s: TestStore;
    before(async () => { s = await makeSqliteStore(); });
    after(async () => { await s.dispose(); });
    const clientErrorOnly = async (write: () => Promise<unknown>) => {
      try { await write(); } catch (err) { assert.ok(err instanceof AppError && err.status < 500, `not a client error: ${String(err)}`); }
    };

    it('are stored or refused with a catalogued error, never anything else', async () => {
      const value = fc.oneof(nastyText, fc.integer(), fc.boolean(), fc.constant(null), fc.array(nastyText, { maxLength: 3 }));
      const config = fc.dictionary(fc.constantFrom('account_sid', 'auth_token_env', 'api_key', 'signature_secret_env', 'region', 'base_url', 'from', 'parts', 'endpoint', 'x_token'), value);
      await fc.assert(fc.asyncProperty(
        fc.record({ id: fc.oneof(nastyText, fc.constantFrom('p1', 'twilio-main')), kind: fc.constantFrom('twilio', 'vonage', 'sinch', 'aws', 'simulator', 'nope'), config, priority: fc.integer(), prices: fc.dictionary(nastyText, nastyText) }, { requiredKeys: ['id', 'kind'] }),
        fc.record({ number: phoneLike, provider_id: fc.constantFrom('p1', 'nope'), type: fc.constantFrom('longcode', 'shortcode', 'tollfree', 'alphanumeric'), country: fc.constantFrom('US', 'GB', 'ZZ'), capabilities: fc.array(nastyText, { maxLength: 2 }), pool: nastyText }, { requiredKeys: ['number', 'provider_id'] }),
        fc.record({ number: phoneLike, destinations: fc.array(phoneLike, { maxLength: 12 }), template: nastyText }, { requiredKeys: ['number', 'destinations'] }),
        fc.record({ country: fc.oneof(nastyText, fc.constantFrom('US', 'DE')), providers: fc.array(nastyText, { maxLength: 2 }) }, { requiredKeys: ['country'] }),
        async (provider, number, rule, country) => {
          await clientErrorOnly(() => upsertProvider(s.store, CLI_OPERATOR, provider as never, { providerEnv: ['TWILIO_', 'VONAGE_', 'SINCH_', 'AWS_'] }));
          await clientErrorOnly(() => upsertNumber(s.store, CLI_OPERATOR, number as never));
          await clientErrorOnly(() => upsertRelayRule(s.store, CLI_OPERATOR, rule as never));
          await clientErrorOnly(() => upsertCountryRule(s.store, CLI_OPERATOR, country as never));
        },
      ), { numRuns: Math.ceil(RUNS / 2) });
    });
  });
});
