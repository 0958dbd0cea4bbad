// The CLI as an operator runs it: a real process on a temporary data directory.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './helpers/stores.ts';
import { newMessage } from './helpers/rows.ts';
import { ADMIN_KEY, startApp } from './helpers/app.ts';
import { TwilioFake, FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN } from '../src/sandbox/twilio.ts';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '../src/cli/main.ts');
/** The CLI, as a process, on this data directory. */
const cliIn = (dataDir: string) => (...args: string[]) => run(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE, SWITCHBOARD_DATA_DIR: dataDir } });

describe('switchboard CLI', () => {
  const dir = tempDir();
  after(() => dir.remove());
  const cli = cliIn(dir.path);

  it('runs as the installed command (bin/switchboard.js, the image\'s entry point)', async () => {
    const { stdout } = await run(process.execPath, [join(import.meta.dirname, '../bin/switchboard.js'), 'help'], { env: { PATH: process.env.PATH } });
    assert.match(stdout, /^switchboard — self-hosted SMS gateway/);
    await assert.rejects(run(process.execPath, [join(import.meta.dirname, '../bin/switchboard.js'), 'no-such-command']), (e: { code: number }) => e.code === 2);
  });

  it('creates a key (secrets shown once), lists it without secrets, and revokes it', async () => {
    const created = JSON.parse((await cli('keys', 'create', 'ci', '--scopes', 'send,read', '--json')).stdout);
    assert.match(created.secret, /^sk_/);
    assert.match(created.webhook_secret, /^whsec_/);
    const list = (await cli('keys', 'list')).stdout;
    assert.match(list, new RegExp(created.id));
    assert.ok(!list.includes(created.secret));
    assert.match((await cli('keys', 'revoke', created.id)).stdout, /revoked/);
    assert.match((await cli('keys', 'list')).stdout, /revoked/);
  });

  it('imports a price list into a provider: a dry run shows the changes and writes nothing; then they are written', async () => {
    // A data directory of its own: the other cases count the providers in theirs.
    const own = tempDir();
    after(() => own.remove());
    const cli = cliIn(own.path);
    const dir = own;
    const file = join(dir.path, 'providers-prices.json');
    writeFileSync(file, JSON.stringify({ providers: [{ id: 'sim-prices', kind: 'simulator', config: {}, prices: { US: '0.0079' } }] }));
    await cli('apply', file);
    const csv = join(dir.path, 'prices.csv');
    writeFileSync(csv, 'Country,MCC,MNC,Prefix,Rate\nUS,310,260,,0.0040\nUS,,,,0.0075\nGB,,,+4477,0.0300\n');
    const dry = (await cli('prices', 'import', 'sim-prices', csv, '--dry-run')).stdout;
    assert.match(dry, /\+ 310-260 +0\.0040/);
    assert.match(dry, /~ US +0\.0079 → 0\.0075/);
    assert.match(dry, /2 added, 1 changed, 0 unchanged \(dry run: nothing written\)/);
    const prices = async () => {
      const store = new SqliteStore(join(dir.path, 'switchboard.db'));
      try { return JSON.parse((await store.listProviders()).find((p) => p.id === 'sim-prices')!.prices); } finally { await store.close(); }
    };
    assert.deepEqual(await prices(), { US: '0.0079' });
    assert.match((await cli('prices', 'import', 'sim-prices', csv)).stdout, /written/);
    assert.deepEqual(await prices(), { US: '0.0075', '310-260': '0.0040', '+4477': '0.0300' });
    writeFileSync(csv, 'mcc,mnc,price\n310,260,cheap\n');
    await assert.rejects(cli('prices', 'import', 'sim-prices', csv), (e: { code: number; stderr: string }) => e.code === 1 && /line 2: price "cheap"/.test(e.stderr));
  });

  it('applies a provider file idempotently and exports it back', async () => {
    const file = join(dir.path, 'providers.json');
    const doc = { providers: [
      { id: 'twilio-main', kind: 'twilio', priority: 5, config: { account_sid: `AC${'a'.repeat(32)}`, auth_token_env: 'TWILIO_AUTH_TOKEN' }, prices: { US: '0.0079' } },
      { id: 'vonage-main', kind: 'vonage', priority: 6, config: { api_key: 'abcd1234', signature_secret_env: 'VONAGE_SIGNATURE_SECRET', signature_method: 'sha256' }, prices: { GB: '0.0400' } },
      { id: 'sinch-main', kind: 'sinch', priority: 7, config: { service_plan_id: 'plan12345678', api_token_env: 'SINCH_API_TOKEN', callback_username: 'sb', callback_password_env: 'SINCH_CALLBACK_PASSWORD' }, prices: { '*': '0.0080' } },
    ] };
    writeFileSync(file, JSON.stringify(doc));
    await cli('apply', file);
    await cli('apply', file);
    const exported = JSON.parse((await cli('export')).stdout);
    assert.equal(exported.providers.length, 3);
    assert.deepEqual(exported.providers.map((p: object) => ({ ...p, active: undefined })), doc.providers.map((p) => ({ ...p, active: undefined })));
  });

  it('applies numbers and country rules with the providers, and export round-trips them', async () => {
    const file = join(dir.path, 'routing.json');
    const doc = {
      providers: [{ id: 'carrier-a', kind: 'simulator', priority: 1, config: {}, prices: { US: '0.0070' } }],
      numbers: [
        { number: '+14155550177', provider_id: 'carrier-a', type: 'longcode', rate_per_second: 2 },
        { number: '+18005550100', provider_id: 'carrier-a' },
      ],
      country_rules: [{ country: 'DE', require_local: true, allow_alphanumeric: false, providers: ['carrier-a'] }],
      templates: [{ id: 'job_ready', body: 'Job {job_id} is ready' }, { account_id: 'acct-t', id: 'hello', body: 'Hello {name}', variables: ['name'], locale: 'en-GB' }],
    };
    writeFileSync(file, JSON.stringify(doc));
    await cli('apply', file);
    await cli('apply', file);
    const exported = JSON.parse((await cli('export')).stdout);
    assert.deepEqual(exported.templates, [
      { account_id: 'acct-t', id: 'hello', body: 'Hello {name}', variables: ['name'], locale: 'en-GB' },
      { account_id: 'default', id: 'job_ready', body: 'Job {job_id} is ready', variables: ['job_id'] },
    ]);
    const store = new SqliteStore(join(dir.path, 'switchboard.db'));
    try { assert.equal((await store.getTemplate('default', 'job_ready'))?.version, 1, 'applying twice made no second version'); } finally { await store.close(); }
    const numbers = exported.numbers.filter((n: { provider_id: string }) => n.provider_id === 'carrier-a');
    assert.deepEqual(numbers.map((n: { number: string; type: string; rate_per_second: number }) => [n.number, n.type, n.rate_per_second]), [
      ['+14155550177', 'longcode', 2],
      ['+18005550100', 'tollfree', 3], // detected as toll-free; its default rate
    ]);
    assert.deepEqual(exported.country_rules, [{ country: 'DE', require_local: true, allow_alphanumeric: false, providers: ['carrier-a'], lookup: false }]);
    // The exported file applies again unchanged.
    writeFileSync(file, JSON.stringify(exported));
    await cli('apply', file);
    assert.deepEqual(JSON.parse((await cli('export')).stdout), exported);
  });

  it('applies relay rules and opt-outs, and export round-trips them', async () => {
    const file = join(dir.path, 'relay.json');
    const doc = {
      providers: [{ id: 'carrier-r', kind: 'simulator', priority: 1, config: {}, prices: { US: '0.0070' } }],
      numbers: [{ number: '+14155550188', provider_id: 'carrier-r' }],
      relay_rules: [{ number: '+14155550188', destinations: ['+18585550100', '+18585550101'], template: '[{from}] {body}' }],
      opt_outs: [{ number: '+14155550100' }, { account_id: 'team-b', number: '+1 415-555-0101', sender: '+14155550188' }],
    };
    writeFileSync(file, JSON.stringify(doc));
    assert.match((await cli('apply', file)).stdout, /relay rule \+14155550188: applied/);
    await cli('apply', file);
    const exported = JSON.parse((await cli('export')).stdout);
    assert.deepEqual(exported.relay_rules, [{ number: '+14155550188', destinations: ['+18585550100', '+18585550101'], template: '[{from}] {body}', active: true, account_id: 'default' }]);
    assert.deepEqual(exported.opt_outs, [
      { account_id: 'default', number: '+14155550100', sender: null },
      { account_id: 'team-b', number: '+14155550101', sender: '+14155550188' },
    ]);
    writeFileSync(file, JSON.stringify(exported));
    await cli('apply', file);
    assert.deepEqual(JSON.parse((await cli('export')).stdout), exported);
    // A rule that would relay to one of our own numbers is refused with the reason.
    writeFileSync(file, JSON.stringify({ relay_rules: [{ number: '+14155550189', destinations: ['+14155550188'] }] }));
    await assert.rejects(cli('apply', file), (e: { code: number; stderr: string }) => e.code === 2 && /own numbers/.test(e.stderr));
  });

  it('adds, lists and removes a number; refuses one of an unknown provider', async () => {
    const added = JSON.parse((await cli('numbers', 'add', 'ACME', '--provider', 'carrier-a')).stdout);
    assert.deepEqual([added.type, added.country, added.rate_per_second], ['alphanumeric', null, 10]);
    assert.match((await cli('numbers', 'list')).stdout, /ACME\tcarrier-a\talphanumeric/);
    await cli('numbers', 'remove', 'ACME');
    assert.match((await cli('numbers', 'list')).stdout, /ACME.*inactive/);
    await assert.rejects(cli('numbers', 'add', '+14155550178', '--provider', 'nope'), (e: { code: number; stderr: string }) => e.code === 2 && /no provider nope/.test(e.stderr));
  });

  it('refuses a file that carries a secret value, with a clear message', async () => {
    const file = join(dir.path, 'bad.json');
    writeFileSync(file, JSON.stringify({ providers: [{ id: 'x', kind: 'twilio', config: { account_sid: `AC${'a'.repeat(32)}`, auth_token: 'plaintext' } }] }));
    await assert.rejects(cli('apply', file), (e: { code: number; stderr: string }) => e.code === 2 && /auth_token_env/.test(e.stderr));
  });

  it("refuses a provider whose credential names one of Switchboard's own variables", async () => {
    const file = join(dir.path, 'leak.json');
    writeFileSync(file, JSON.stringify({ providers: [{ id: 'x', kind: 'twilio', config: { account_sid: `AC${'a'.repeat(32)}`, auth_token_env: 'SWITCHBOARD_ADMIN_KEY' } }] }));
    await assert.rejects(cli('apply', file), (e: { code: number; stderr: string }) => e.code === 2 && /SWITCHBOARD_PROVIDER_ENV/.test(e.stderr));
    assert.doesNotMatch((await cli('export')).stdout, /SWITCHBOARD_ADMIN_KEY/);
  });

  it('backs the database up online into a file that opens with every message and key in it', async () => {
    const created = JSON.parse((await cli('keys', 'create', 'before-backup', '--json')).stdout);
    const live = new SqliteStore(join(dir.path, 'switchboard.db'));
    const messages = Array.from({ length: 50 }, (_, i) => newMessage({ body: `kept ${i}` }));
    try { await live.insertMessages(messages); } finally { await live.close(); }
    const file = join(dir.path, 'backup.db');
    assert.match((await cli('backup', file)).stdout, /backed up/);
    const copy = new SqliteStore(file);
    try {
      assert.equal((await copy.getApiKey(created.id))?.name, 'before-backup');
      const restored = await copy.getMessages(messages.map((m) => m.row.id));
      assert.deepEqual(restored.map((m) => m.body).sort(), messages.map((m) => m.row.body).sort());
    } finally { await copy.close(); }
    await assert.rejects(cli('backup'), (e: { code: number }) => e.code === 2);
  });
});

describe('switchboard drill', () => {
  it('runs a failover drill on the running server and says what it proved', async () => {
    const t = await startApp();
    try {
      for (const r of [
        { id: 'sim-a', kind: 'simulator', priority: 1, prices: { US: '0.0040' }, config: { latency_ms: 5 } },
        { id: 'sim-b', kind: 'simulator', priority: 2, prices: { US: '0.0090' }, config: { latency_ms: 5 } },
      ]) assert.equal((await t.call('POST', '/v1/providers', r)).status, 201);
      const env = { PATH: process.env.PATH, NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE, SWITCHBOARD_KEY: ADMIN_KEY };
      const { stdout } = await run(process.execPath, [CLI, 'drill', '--url', t.url, '--to', '+14155550170'], { env });
      const result = JSON.parse(stdout);
      assert.deepEqual([result.passed, result.provider, result.carried_by], [true, 'sim-a', 'sim-b']);
      await assert.rejects(run(process.execPath, [CLI, 'drill', '--url', t.url], { env }), (e: { code: number; stderr: string }) => e.code === 2 && /to/.test(e.stderr));
    } finally { await t.stop(); }
  });
});

describe('switchboard numbers: provisioning through Twilio', () => {
  it('searches, buys with webhooks pointed at us (and adds to the pool), and finds and fixes drift', async () => {
    const fake = await new TwilioFake().start();
    const dir = tempDir();
    const env = { PATH: process.env.PATH, NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE, SWITCHBOARD_DATA_DIR: dir.path, PUBLIC_URL: 'https://sb.example.com', TWILIO_PROV_TOKEN: FAKE_AUTH_TOKEN };
    const cli = (...args: string[]) => run(process.execPath, [CLI, ...args], { env });
    try {
      const file = join(dir.path, 'p.json');
      writeFileSync(file, JSON.stringify({ providers: [{ id: 'twilio-prov', kind: 'twilio', priority: 1, prices: { US: '0.0079' }, config: { account_sid: FAKE_ACCOUNT_SID, auth_token_env: 'TWILIO_PROV_TOKEN', base_url: fake.url } }] }));
      await cli('apply', file);
      const found = (await cli('numbers', 'search', '--provider', 'twilio-prov', '--country', 'US', '--area-code', '415', '--sms', '--voice')).stdout.trim().split('\n');
      assert.deepEqual(found.map((l) => l.split('\t').slice(0, 2)), [['+14155550301', 'sms,voice,mms']]);
      const bought = JSON.parse((await cli('numbers', 'buy', '+14155550301', '--provider', 'twilio-prov')).stdout);
      assert.deepEqual([bought.number, bought.provider_id, bought.capabilities, bought.active], ['+14155550301', 'twilio-prov', ['sms', 'voice', 'mms'], true]);
      const [owned] = [...fake.owned.values()];
      assert.deepEqual([owned.sms_url, owned.status_callback], ['https://sb.example.com/webhooks/twilio-prov/inbound', 'https://sb.example.com/webhooks/twilio-prov/status']);
      assert.match((await cli('numbers', 'sync')).stdout, /1 numbers checked, 0 drifted/);
      owned.sms_url = 'https://old-app.example.com/sms';
      await assert.rejects(cli('numbers', 'sync'), (e: { code: number; stdout: string }) => e.code === 1 && /inbound webhook is https:\/\/old-app\.example\.com\/sms/.test(e.stdout));
      assert.match((await cli('numbers', 'sync', '--fix')).stdout, /— fixed[\s\S]*1 fixed/);
      assert.equal(owned.sms_url, 'https://sb.example.com/webhooks/twilio-prov/inbound');
      await assert.rejects(cli('numbers', 'buy', '+14155550399', '--provider', 'twilio-prov'), (e: { stderr: string }) => /not available/.test(e.stderr));
    } finally {
      await fake.stop();
      dir.remove();
    }
  });
});
