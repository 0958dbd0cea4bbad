// The crash window: a worker is killed after the provider accepted a message but before
// its answer came back. The next worker finds the message still `sending` under an
// expired lease, asks the provider by our reference (Sinch's client_reference) before
// sending, finds the batch, and records it as sent instead of sending it twice.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { eventually, startApp, type TestApp } from '../helpers/app.ts';
import { freePort } from '../helpers/net.ts';
import { SinchFake, FAKE_SINCH_PLAN, FAKE_SINCH_TOKEN, FAKE_SINCH_CALLBACK_USER, FAKE_SINCH_CALLBACK_PASSWORD } from '../../src/sandbox/sinch.ts';

const MAIN = join(import.meta.dirname, '../../src/main.ts');
const ENV = { SINCH_CW_TOKEN: FAKE_SINCH_TOKEN, SINCH_CW_CALLBACK: FAKE_SINCH_CALLBACK_PASSWORD };

describe('crash window', () => {
  let fake: SinchFake;
  let api: TestApp;
  const workers: ChildProcess[] = [];

  const worker = () => {
    const w = spawn(process.execPath, [MAIN, '--role', 'worker'], {
      env: {
        PATH: process.env.PATH, NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE, ...ENV, SWITCHBOARD_DATA_DIR: api.dataDir, LOG_LEVEL: 'error', PORT: '0', PUBLIC_URL: api.config.publicUrl,
        SWITCHBOARD_LEASE_MS: '5000', SWITCHBOARD_POLL_MS: '100', SWITCHBOARD_SEND_TIMEOUT_MS: '30000',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    workers.push(w);
    return w;
  };

  before(async () => {
    Object.assign(process.env, ENV);
    fake = await new SinchFake().start();
    const port = await freePort();
    api = await startApp({ role: 'api', port, publicUrl: `http://127.0.0.1:${port}` });
    const p = await api.call('POST', '/v1/providers', {
      id: 'sinch-cw', kind: 'sinch', prices: { US: '0.0001' },
      config: { service_plan_id: FAKE_SINCH_PLAN, api_token_env: 'SINCH_CW_TOKEN', callback_username: FAKE_SINCH_CALLBACK_USER, callback_password_env: 'SINCH_CW_CALLBACK', base_url: fake.url, from: '+14155550177' },
    });
    assert.equal(p.status, 201, JSON.stringify(p.body));
  });
  after(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await api.stop();
    await fake.stop();
    for (const k of Object.keys(ENV)) delete process.env[k];
  });

  it('a send cut off by kill -9 after the provider accepted it is found by reference, not sent again', async () => {
    // Sinch accepts the batch; its answer never reaches the worker.
    fake.behaviours.push({ kind: 'hang', accepted: true });
    const r = await api.call('POST', '/v1/messages', { to: '+14155550100', body: 'sent once, whatever happens' });
    assert.equal(r.status, 202);
    const first = worker();
    await eventually(async () => fake.batches.some((b) => b.client_reference === r.body.id), 20_000, 'the provider to hold the batch');
    first.kill('SIGKILL');
    await new Promise((res) => first.once('exit', res));

    worker();
    const m = await eventually(async () => {
      const x = (await api.call('GET', `/v1/messages/${r.body.id}`)).body;
      return x.status === 'delivered' && x;
    }, 30_000, 'the message delivered through the batch the first worker made');
    assert.equal(fake.requests.length, 1, 'one batch was posted: the message was not sent again');
    assert.deepEqual(fake.lookups, [r.body.id], 'the second worker asked by client_reference');
    assert.equal(m.provider_message_id, fake.batches[0].id);
    assert.equal(m.from, '+14155550177');
    const attempts = await api.ctx().store.listAttempts(r.body.id);
    assert.deepEqual(attempts.map((a) => [a.outcome, a.provider_id]), [['sent', 'sinch-cw']]);
  });
});
