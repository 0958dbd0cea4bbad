// The provider sandboxes as a user runs them (src/sandbox/run.ts, what `switchboard
// sandbox <kind>` starts): Switchboard configured against each from the record and
// environment the sandbox prints delivers through it, receives a customer's reply sent
// through the control API, and sees the failures the sandbox is scripted to make.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { eventually, startApp, type TestApp } from '../helpers/app.ts';
import { freePort } from '../helpers/net.ts';
import { tempDir } from '../helpers/stores.ts';
import { SANDBOX_KINDS, startSandbox, type RunningSandbox } from '../../src/sandbox/run.ts';

const run = promisify(execFile);
const BUSINESS: Record<string, string> = { twilio: '+14155550501', vonage: '+14155550502', sinch: '+14155550503', aws: '+14155550504', smpp: '+14155550505' };

describe('provider sandboxes', () => {
  let t: TestApp;
  const dir = tempDir();
  const trust = join(dir.path, 'sns-trust.json');
  const sandboxes: RunningSandbox[] = [];
  let publicUrl = '';

  before(async () => {
    const port = await freePort();
    publicUrl = `http://127.0.0.1:${port}`;
    // The AWS sandbox writes the certificate it signs SNS messages with; Switchboard trusts it through SWITCHBOARD_SNS_TRUST.
    for (const kind of SANDBOX_KINDS) {
      const s = await startSandbox(kind, { statusUrl: `${publicUrl}/webhooks/sbx-aws/status`, snsTrustFile: trust });
      Object.assign(process.env, s.env);
      sandboxes.push(s);
    }
    t = await startApp({ port, publicUrl, snsTrust: trust, simulator: 'off' });
  });
  after(async () => {
    await t?.stop();
    for (const s of sandboxes) { await s.stop(); for (const k of Object.keys(s.env)) delete process.env[k]; }
    dir.remove();
  });

  const control = (s: RunningSandbox, path: string, body?: unknown) => fetch(`${s.controlUrl}/_sandbox/${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const message = async (id: string, done: (m: { status: string }) => boolean, what: string) => eventually(async () => {
    const m = (await t.call('GET', `/v1/messages/${id}`)).body;
    return done(m) ? m : undefined;
  }, 15_000, what);

  for (const kind of SANDBOX_KINDS) {
    it(`${kind}: delivers through it, receives a reply from its control API, and sees its scripted failures`, async () => {
      const s = sandboxes.find((x) => x.kind === kind)!;
      const id = `sbx-${kind}`;
      const others = SANDBOX_KINDS.filter((k) => k !== kind).map((k) => `sbx-${k}`);
      for (const o of others) await t.call('DELETE', `/v1/providers/${o}`);
      const made = await t.call('POST', '/v1/providers', { id, ...s.provider, prices: { US: '0.0050' } });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      assert.equal((await t.call('POST', '/v1/numbers', { number: BUSINESS[kind], provider_id: id, rate_per_second: 100 })).status, 201);
      if (kind === 'smpp') await eventually(async () => (await (await control(s, 'messages')).json() as { data: unknown[] }) !== null && (s.target as { bound?: unknown[] }).bound!.length > 0, 10_000, 'the bind');

      const sent = await t.call('POST', '/v1/messages', { to: '+14155550600', body: `Hello through the ${kind} sandbox` });
      assert.equal(sent.status, 202, JSON.stringify(sent.body));
      await message(sent.body.id, (m) => m.status === 'delivered', 'delivered');
      const seen = (await (await control(s, 'messages')).json() as { data: { to: string; body: string }[] }).data;
      assert.ok(seen.some((m) => m.to === '+14155550600' && m.body === `Hello through the ${kind} sandbox`), JSON.stringify(seen));

      const reply = await control(s, 'inbound', { from: '+14155550600', to: BUSINESS[kind], text: `Reply via ${kind}`, url: `${publicUrl}/webhooks/${id}/inbound` });
      assert.equal(reply.status, 200);
      assert.deepEqual(await reply.json(), { delivered: true, status: 200 });
      await eventually(async () => (await t.call('GET', '/v1/inbound')).body.data.some((m: { body: string }) => m.body === `Reply via ${kind}`), 10_000, 'the reply received');

      assert.equal((await control(s, 'behaviour', { undelivered_rate: 1 })).status, 200);
      const lost = await t.call('POST', '/v1/messages', { to: '+14155550601', body: 'to a phone that is off' });
      // Not delivered, in the provider's own words: undelivered or failed, as its receipts map.
      await message(lost.body.id, (m) => ['undelivered', 'failed'].includes(m.status), 'not delivered, as scripted');

      assert.equal((await control(s, 'behaviour', { error_rate: 1 })).status, 200);
      const failing = await t.call('POST', '/v1/messages', { to: '+14155550602', body: 'while it fails' });
      const m = await message(failing.body.id, (x) => (x as unknown as { attempts: unknown[] }).attempts?.length > 0, 'an attempt') as unknown as { attempts: { error: { class: string } | null }[] };
      assert.equal(m.attempts[0].error?.class, 'provider', `the provider's failure, classified: ${JSON.stringify(m.attempts[0])}`);
      assert.equal((await control(s, 'behaviour', { error_rate: 2 })).status, 400, 'a bad behaviour is refused');
      await control(s, 'behaviour', {});
    });
  }
});

describe('switchboard sandbox (the command)', () => {
  const CLI = join(import.meta.dirname, '../../src/cli/main.ts');
  const dir = tempDir();
  after(() => dir.remove());

  it('prints the record and environment to use, serves its behaviour file, and refuses a bad one', async () => {
    const file = join(dir.path, 'behaviour.json');
    writeFileSync(file, JSON.stringify({ latency_ms: 5, throttle_rate: 0.1, outages: [{ from_s: 60, to_s: 120 }] }));
    const child = spawn(process.execPath, [CLI, 'sandbox', 'twilio', '--behaviour', file], { env: { PATH: process.env.PATH, NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE } });
    try {
      let out = '';
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      const printed = await eventually(async () => { try { return JSON.parse(out) as { url: string; control: string; provider: { kind: string; config: { base_url: string } }; env: Record<string, string> }; } catch { return undefined; } }, 10_000, 'the printed settings');
      assert.equal(printed.provider.kind, 'twilio');
      assert.equal(printed.provider.config.base_url, printed.url);
      assert.ok(printed.env.TWILIO_SANDBOX_TOKEN);
      const behaviour = await (await fetch(`${printed.control}behaviour`)).json();
      assert.deepEqual(behaviour, { latency_ms: 5, throttle_rate: 0.1, outages: [{ from_s: 60, to_s: 120 }] });
      const nowhere = await fetch(`${printed.control}inbound`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: '+14155550600', to: '+14155550501', text: 'hi' }) });
      assert.equal(nowhere.status, 400, 'no url and no --inbound-url');
      assert.match(((await nowhere.json()) as { error: string }).error, /no url/);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    writeFileSync(file, JSON.stringify({ error_rate: 'often' }));
    await assert.rejects(run(process.execPath, [CLI, 'sandbox', 'twilio', '--behaviour', file]), (e: { code: number; stderr: string }) => e.code === 2 && /error_rate is a share from 0 to 1/.test(e.stderr));
  });
});
