// Which environment variables a provider record may name: the allow-list, and the names
// that are refused whatever the allow-list says.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { envNameAllowed } from '../../src/providers/credentials.ts';
import { loadConfig } from '../../src/config.ts';

describe('provider credential variables', () => {
  const defaults = loadConfig({}).providerEnv;

  it("allows the supported providers' prefixes by default", () => {
    for (const name of ['TWILIO_AUTH_TOKEN', 'VONAGE_API_SECRET', 'SINCH_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'SMPP_PASSWORD']) assert.ok(envNameAllowed(name, defaults), name);
    for (const name of ['TWILIO_', 'MY_TOKEN', 'SECRET', 'twilio_auth_token', 'TWILIO AUTH', '']) assert.ok(!envNameAllowed(name, defaults), name);
  });

  it("never allows Switchboard's own settings or the database's, whatever the allow-list says", () => {
    const everything = ['*', 'SWITCHBOARD_', 'DATABASE_URL', 'REDIS_URL', 'PG', 'HOME'];
    for (const name of ['SWITCHBOARD_ADMIN_KEY', 'SWITCHBOARD_WEBHOOK_SECRET', 'SWITCHBOARD_ALERT_WEBHOOK_URL', 'SWITCHBOARD_CONFIG', 'DATABASE_URL', 'REDIS_URL', 'PGPASSWORD', 'PORT', 'PUBLIC_URL', 'NODE_OPTIONS', 'HOME']) {
      assert.ok(!envNameAllowed(name, everything), name);
    }
    assert.ok(envNameAllowed('ACME_KEY', everything), 'a `*` entry allows any other name');
  });

  it('takes exact names and prefixes from SWITCHBOARD_PROVIDER_ENV', () => {
    const list = loadConfig({ SWITCHBOARD_PROVIDER_ENV: 'ACME_SMS_TOKEN, CARRIER_*' }).providerEnv;
    assert.ok(envNameAllowed('ACME_SMS_TOKEN', list));
    assert.ok(!envNameAllowed('ACME_SMS_TOKEN2', list), 'an exact name is not a prefix');
    assert.ok(envNameAllowed('CARRIER_X_SECRET', list));
    assert.ok(!envNameAllowed('TWILIO_AUTH_TOKEN', list), 'the defaults are replaced, not extended');
  });
});
