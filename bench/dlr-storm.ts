// A receipt storm (the DLR flood a provider sends when it comes back): BENCH_DLR_RECEIPTS
// (100,000) signed Twilio status callbacks, two per message (`sent` and `delivered`,
// shuffled), posted as fast as 64 loopback connections can, to `npm start` (all roles,
// SQLite) in its own process. Reports receipts stored per second (each answered 200 only
// once stored raw), how long until every one is applied (the backlog gauge at 0 and every
// message delivered), and the latency of intake (POST /v1/messages, one every 20 ms)
// during the storm.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { TwilioFake, FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN } from '../src/sandbox/twilio.ts';
import { twilioSignature } from '../src/providers/twilio/signature.ts';
import { until } from './util.ts';

const ROOT = join(import.meta.dirname, '..');
const RECEIPTS = Number(process.env.BENCH_DLR_RECEIPTS ?? 100_000);
const MESSAGES = Math.ceil(RECEIPTS / 2);
const KEY = 'bench-dlr';

export async function benchDlrStorm(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-dlr-'));
  const port = 18092;
  const base = `http://127.0.0.1:${port}`;
  const fake = await new TwilioFake().start();
  fake.plan = { statuses: [], delayMs: 5 }; // silent until the storm
  const proc = spawn(process.execPath, ['src/main.ts', '--role', 'all'], {
    cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'],
    env: { PATH: process.env.PATH, PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: base, SWITCHBOARD_DATA_DIR: dir, SWITCHBOARD_ADMIN_KEY: KEY, LOG_LEVEL: 'warn', SWITCHBOARD_SHUTDOWN_DRAIN_MS: '0', TWILIO_BENCH_TOKEN: FAKE_AUTH_TOKEN },
  });
  const pool = new Pool(base, { connections: 64 });
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await pool.request({ method: method as 'POST', path, headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: r.statusCode, body: await r.body.json() as Record<string, unknown> };
  };
  const metric = async (re: RegExp) => {
    const r = await pool.request({ method: 'GET', path: '/metrics' });
    return Number(re.exec(await r.body.text())?.[1] ?? 0);
  };
  try {
    await until('the server', async () => (await fetch(`${base}/readyz`).catch(() => null))?.status === 200, 30_000, 100);
    const p = await call('POST', '/v1/providers', { id: 'storm', kind: 'twilio', prices: { US: '0.0079' }, config: { account_sid: FAKE_ACCOUNT_SID, auth_token_env: 'TWILIO_BENCH_TOKEN', base_url: fake.url, from: '+14155550600' } });
    if (p.status !== 201) throw new Error(JSON.stringify(p.body));
    let next = 0;
    await Promise.all(Array.from({ length: 64 }, async () => {
      while (next < MESSAGES) { const i = next++; await call('POST', '/v1/messages', { to: `+1415${String(2000000 + i).padStart(7, '0')}`, body: `storm ${i}` }); }
    }));
    await until('every message sent', async () => fake.requests.filter((q) => q.sid).length >= MESSAGES && (await metric(/^switchboard_messages\{status="sent"\} (\d+)/m)) >= MESSAGES, 600_000, 100);
    const url = `${base}/webhooks/storm/status`;
    const receipts = fake.requests.filter((q) => q.sid).flatMap((q) => ['sent', 'delivered'].map((status) => {
      const params = { MessageSid: q.sid!, MessageStatus: status, SmsStatus: status, AccountSid: FAKE_ACCOUNT_SID, To: q.form.get('To') ?? '', From: '+14155550600', ApiVersion: '2010-04-01' };
      return { body: new URLSearchParams(params).toString(), signature: twilioSignature(FAKE_AUTH_TOKEN, url, params) };
    })).slice(0, RECEIPTS);
    for (let i = receipts.length - 1; i > 0; i--) { const j = Math.floor(Math.random() * (i + 1)); [receipts[i], receipts[j]] = [receipts[j], receipts[i]]; }

    // Intake, one request every 20 ms, while the storm lasts.
    const latencies: number[] = [];
    let storming = true;
    const probe = (async () => {
      for (let i = 0; storming; i++) {
        const s = performance.now();
        const r = await call('POST', '/v1/messages', { to: '+14155550100', body: `during the storm ${i}` });
        if (r.status !== 202) throw new Error(`intake answered ${r.status}`);
        latencies.push(performance.now() - s);
        await new Promise((res) => setTimeout(res, 20));
      }
    })();
    let posted = 0;
    let refused = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 64 }, async () => {
      while (posted < receipts.length) {
        const r = receipts[posted++];
        const res = await pool.request({ method: 'POST', path: '/webhooks/storm/status', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': r.signature }, body: r.body });
        await res.body.dump();
        if (res.statusCode !== 200) refused++;
      }
    }));
    const stored = (performance.now() - t0) / 1000;
    storming = false;
    await probe;
    await until('every receipt applied', async () => (await metric(/^switchboard_webhooks_backlog (\d+)/m)) === 0 && (await metric(/^switchboard_messages_final_total\{status="delivered"\} (\d+)/m)) >= MESSAGES, 600_000, 100);
    const applied = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    const q = (x: number) => latencies[Math.floor(x * (latencies.length - 1))].toFixed(1);
    console.log(`receipt storm: ${receipts.length} signed receipts for ${MESSAGES} messages stored in ${stored.toFixed(1)} s (${Math.round(receipts.length / stored)}/s at 64 connections, ${refused} not answered 200); all applied ${applied.toFixed(1)} s after the first; intake meanwhile p50 ${q(0.5)} ms p99 ${q(0.99)} ms (${latencies.length} requests)`);
  } finally {
    await pool.close();
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
    await fake.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) await benchDlrStorm();
