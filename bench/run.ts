// npm run bench — figures for the closing notes, on the embedded SQLite store:
//   0. the cost of one routing decision, cached and cold (bench/routing.ts), and each
//      adapter's send cost against its loopback fake (bench/providers.ts)
//   1. a bare node:http server, as the machine's ceiling for comparison
//   2. intake: accepted sends/s and p50/p99 latency of POST /v1/messages (api role)
//   3. end to end: messages/s from accepted to delivered, simulator at 0 ms latency
//   4. webhook ingestion: signed Twilio status callbacks acknowledged per second (each
//      verified, then stored raw and committed before the 200)
// The server runs in its own process; autocannon drives it from this one.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { twilioSignature } from '../src/providers/twilio/signature.ts';
import { benchRouting } from './routing.ts';
import { benchProviders } from './providers.ts';

const ROOT = join(import.meta.dirname, '..');
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const E2E_MESSAGES = Number(process.env.BENCH_E2E_MESSAGES ?? 20_000);
const KEY = 'bench-admin-key';

interface Server { url: string; proc: ChildProcess; dir: string }
const running = new Set<ChildProcess>();
process.on('exit', () => { for (const p of running) p.kill('SIGKILL'); });

async function start(args: string[], env: Record<string, string>, port: number): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
  const proc = spawn(process.execPath, args, {
    cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'],
    env: { PATH: process.env.PATH, PORT: String(port), HOST: '127.0.0.1', SWITCHBOARD_DATA_DIR: dir, SWITCHBOARD_ADMIN_KEY: KEY, LOG_LEVEL: 'warn', SWITCHBOARD_SIMULATOR_LATENCY_MS: '0', ...env },
  });
  running.add(proc);
  proc.once('exit', () => running.delete(proc));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(`${url}/healthz`)).ok) return { url, proc, dir }; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server ${args.join(' ')} did not start`);
}

async function stop(s: Server): Promise<void> {
  s.proc.kill('SIGTERM');
  await new Promise((r) => s.proc.once('exit', r));
  rmSync(s.dir, { recursive: true, force: true });
}

function load(opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

const post = (url: string, extra: Partial<autocannon.Options> = {}): autocannon.Options => ({
  url: `${url}/v1/messages`, method: 'POST', connections: CONNECTIONS, duration: SECONDS,
  headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
  body: JSON.stringify({ to: '+14155550100', body: 'Your verification code is 123456' }),
  ...extra,
});

function row(name: string, r: autocannon.Result): void {
  console.log(`${name.padEnd(34)} ${String(Math.round(r.requests.average)).padStart(7)} req/s   p50 ${String(r.latency.p50).padStart(4)} ms   p99 ${String(r.latency.p99).padStart(4)} ms   non-2xx ${r.non2xx}   errors ${r.errors}`);
}

console.log(`node ${process.version}, ${CONNECTIONS} connections, ${SECONDS} s per run\n`);

// 0. one routing decision, in process (bench/routing.ts)
await benchRouting();
console.log('');
await benchProviders();
console.log('');

// 1. the ceiling: a bare node:http server answering a small JSON body
{
  const s = await start(['-e', `require('node:http').createServer((q,r)=>{let b='';q.on('data',c=>b+=c);q.on('end',()=>{r.writeHead(q.url==='/healthz'?200:202,{'content-type':'application/json'});r.end('{"id":"x","status":"queued"}')})}).listen(process.env.PORT,'127.0.0.1')`], {}, 18081);
  row('bare node:http (ceiling)', await load(post(s.url)));
  await stop(s);
}

// 2. intake alone: every 202 means the row is committed (WAL, synchronous=FULL)
{
  const s = await start(['src/main.ts', '--role', 'api'], {}, 18082);
  await load(post(s.url, { duration: 2 })); // warm-up
  const r = await load(post(s.url));
  row('POST /v1/messages (api role)', r);
  const store = new SqliteStore(join(s.dir, 'switchboard.db'));
  const n = (await store.queueStats(Date.now())).byStatus.queued ?? 0;
  await store.close();
  console.log(`${''.padEnd(34)} ${n} messages on disk after the runs (${r.requests.total} accepted in the measured run)`);
  await stop(s);
}

// 3. end to end: accepted → delivered with a zero-latency simulator, one process
{
  const s = await start(['src/main.ts', '--role', 'all'], { SWITCHBOARD_POLL_MS: '50' }, 18083);
  const store = new SqliteStore(join(s.dir, 'switchboard.db'));
  const t0 = Date.now();
  const { duration: _d, ...opts } = post(s.url);
  const r = await load({ ...opts, amount: E2E_MESSAGES });
  const accepted = Date.now();
  let delivered = 0;
  for (;;) {
    const st = await store.queueStats(Date.now());
    delivered = st.byStatus.delivered ?? 0;
    if (delivered >= r.requests.total - r.non2xx || Date.now() - accepted > 120_000) break;
    await new Promise((res) => setTimeout(res, Number(process.env.BENCH_OBSERVE_MS ?? 50)));
  }
  const elapsed = (Date.now() - t0) / 1000;
  row(`POST while sending (all role)`, r);
  console.log(`end to end: ${delivered} of ${E2E_MESSAGES} delivered in ${elapsed.toFixed(2)} s = ${Math.round(delivered / elapsed)} messages/s (accept phase ${((accepted - t0) / 1000).toFixed(2)} s)`);
  await store.close();
  await stop(s);
}

// 4. webhook ingestion (api role: verify signature, store raw, answer)
{
  const port = 18084;
  const token = 'bench-twilio-token';
  const s = await start(['src/main.ts', '--role', 'api'], { PUBLIC_URL: `http://127.0.0.1:${port}`, TWILIO_BENCH_TOKEN: token }, port);
  const created = await fetch(`${s.url}/v1/providers`, {
    method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id: 'twilio-bench', kind: 'twilio', config: { account_sid: `AC${'0'.repeat(32)}`, auth_token_env: 'TWILIO_BENCH_TOKEN' } }),
  });
  if (created.status !== 201) throw new Error(`provider not created: ${await created.text()}`);
  const url = `${s.url}/webhooks/twilio-bench/status`;
  const params = { MessageSid: `SM${'1'.repeat(32)}`, MessageStatus: 'delivered', SmsStatus: 'delivered', AccountSid: `AC${'0'.repeat(32)}`, To: '+14155550100', From: '+14155550199', ApiVersion: '2010-04-01' };
  const r = await load({
    url, method: 'POST', connections: CONNECTIONS, duration: SECONDS,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(token, url, params) },
    body: new URLSearchParams(params).toString(),
  });
  row('POST /webhooks/:id/status (raw store)', r);
  await stop(s);
}
