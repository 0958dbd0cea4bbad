// npm run bench — figures for the closing notes, side by side in one run:
//   0. the cost of one routing decision, cached and cold (bench/routing.ts), and each
//      adapter's send cost against its loopback fake (bench/providers.ts)
//   1. a bare node:http server answering 202: the machine's ceiling; and Fastify alone
//      (bench/framework.ts: intake's route, schemas and hooks, nothing behind them), the
//      framework's ceiling; each with its CPU per request
//   2. intake, api role alone: req/s (and its share of the ceiling), p50/p99; then p99
//      at half that rate
//   3. the default `npm start` (all roles in one process, SQLite, simulator at 0 ms):
//      intake while it sends, accepted → delivered per second, process CPU µs per message;
//      then the same with 64 connections (16 are a closed loop bound by intake's latency)
//   3b. `npm start` and Kannel 1.4.5 with delivery reports, each through one SMPP bind to
//      the same SMSC process: accepted → delivered and CPU per message (bench/kannel.ts)
//   4. the same two with 1,000,000 delivered messages already in the ledger (bench/seed.ts),
//      and the cost of reads that must stay flat: GET /v1/messages/:id, list queries,
//      /metrics, /v1/status, the alert check; empty ledger beside full
//   4b. the dashboard's refresh (every 5 s while it is open, "last day" chosen) on a ledger
//      whose last 24 h hold DASHBOARD_MESSAGES: the first refresh (which rolls the day up)
//      and the ones after it
//   5. PostgreSQL (BENCH_DATABASE_URL or TEST_DATABASE_URL): one api process and 1, 2
//      and 3 worker processes (BENCH_PG_WORKERS), accepted → delivered, each process's CPU
//      per message and PostgreSQL's own
//   5b. PostgreSQL with 10,000,000 delivered messages in its ledger (bench/seed-pg.ts), plain and by month,
//      beside an empty one: end to end, the flat-cost reads, and retention
//   6. webhook ingestion: signed Twilio status callbacks acknowledged per second (each
//      verified, then stored raw and committed before the 200)
//   7. Switchboard's SMPP server through one bind: submit_sm/s and receipts/s at window 10 and 100 (bench/smpp.ts)
//   7b. the claim with fair queues beside the first-come-first-served claim it replaced (bench/claim.ts)
//   7f. a raw webhook's life in the store on PostgreSQL: stored, claimed, finished; in step and draining a backlog (bench/webhook-life.ts)
//   7c. the provider window of /v1/status with 300,000 attempts in it, from the attempts and from the buckets (bench/status-window.ts)
//   7e. the fan-out of regions: a list page and a day's report over one store, one region and two (bench/regions.ts)
//   7d. the event stream: events published per second to each sink, from a full outbox (bench/events.ts)
//   8. a receipt storm: 100,000 signed receipts at once; stored/s, time to apply all, intake latency meanwhile (bench/dlr-storm.ts)
// Servers run in their own processes; autocannon drives them from this one (16
// connections, 10 s, as the performance issue measured).
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { PostgresStore } from '../src/store/postgres/postgres-store.ts';
import { twilioSignature } from '../src/providers/twilio/signature.ts';
import { benchRouting } from './routing.ts';
import { benchProviders } from './providers.ts';
import { benchSmpp } from './smpp.ts';
import { benchDlrStorm } from './dlr-storm.ts';
import { benchClaim } from './claim.ts';
import { benchWebhookLife } from './webhook-life.ts';
import { benchStatusWindow } from './status-window.ts';
import { benchRegions } from './regions.ts';
import { benchEvents } from './events.ts';
import { cpuSeconds, postgresCpuSeconds, until } from './util.ts';
import { benchKannel, kannelInstalled } from './kannel.ts';
import { FAKE_SMPP_PASSWORD, FAKE_SMPP_SYSTEM_ID } from '../src/sandbox/smsc.ts';
import { connect } from 'node:net';
import { seed } from './seed.ts';
import { seedPostgres } from './seed-pg.ts';
import { dropExpiredMonths, monthStart } from '../src/store/postgres/partitions.ts';

const ROOT = join(import.meta.dirname, '..');
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CAPACITY_CONNECTIONS = 64;
const E2E_MESSAGES = Number(process.env.BENCH_E2E_MESSAGES ?? 50_000);
// BENCH_E2E_RATE: end-to-end runs offer this many messages a second instead of as many as
// intake takes: CPU per message below saturation, where contention for the cores does not inflate it.
const E2E_RATE = Number(process.env.BENCH_E2E_RATE ?? 0);
const SEED = Number(process.env.BENCH_SEED_MESSAGES ?? 1_000_000);
const DASHBOARD_MESSAGES = Number(process.env.BENCH_DASHBOARD_MESSAGES ?? 500_000);
const PG_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? '';
// BENCH_PG_WARM_UP: messages sent and delivered before the PostgreSQL scale-out run is measured (0: none).
const PG_WARM_UP = Number(process.env.BENCH_PG_WARM_UP ?? 10_000);
const PG_SEED = Number(process.env.BENCH_PG_SEED_MESSAGES ?? 10_000_000);
const KEY = 'bench-admin-key';
// BENCH_ONLY=bare,intake,e2e,kannel,seeded,dashboard,pg,pgseeded,webhooks,batch,smpp,storm,micro,claim,whlife,status,events,regions runs a subset (all by default).
const ONLY = new Set((process.env.BENCH_ONLY ?? '').split(',').filter(Boolean));
const runs = (part: string): boolean => ONLY.size === 0 || ONLY.has(part);

// BENCH_SERVER_ENV='{"SWITCHBOARD_BATCH_WINDOW_MS":"50"}': settings every server of the run gets (experiments).
const serverEnv = JSON.parse(process.env.BENCH_SERVER_ENV ?? '{}') as Record<string, string>;

interface Server { url: string; proc: ChildProcess; dir: string }
const running = new Set<ChildProcess>();
process.on('exit', () => { for (const p of running) p.kill('SIGKILL'); });

async function start(args: string[], env: Record<string, string>, port: number, dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-')), http = true): Promise<Server> {
  // BENCH_CPU_PROF=<dir>: every server writes a V8 CPU profile there when it stops.
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const proc = spawn(process.execPath, [...prof, ...args], {
    cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'],
    env: { PATH: process.env.PATH, PORT: String(port), HOST: '127.0.0.1', SWITCHBOARD_DATA_DIR: dir, SWITCHBOARD_ADMIN_KEY: KEY, LOG_LEVEL: 'warn', SWITCHBOARD_SIMULATOR_LATENCY_MS: '0', SWITCHBOARD_SHUTDOWN_DRAIN_MS: '0', ...env, ...serverEnv },
  });
  running.add(proc);
  proc.once('exit', () => running.delete(proc));
  const url = `http://127.0.0.1:${port}`;
  if (!http) { await new Promise((r) => setTimeout(r, 3_000)); return { url, proc, dir }; } // a worker serves no HTTP
  for (let i = 0; i < 300; i++) {
    try { if ((await fetch(`${url}/healthz`)).ok) return { url, proc, dir }; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server ${args.join(' ')} did not start`);
}

async function stop(s: Server, keepDir = false): Promise<void> {
  s.proc.kill('SIGTERM');
  await new Promise((r) => s.proc.once('exit', r));
  if (!keepDir) rmSync(s.dir, { recursive: true, force: true });
}


function load(opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

/** A load run, with the server's CPU per answered request (kept on the result for row()). */
async function measured(s: Server, opts: autocannon.Options): Promise<autocannon.Result> {
  const cpu0 = cpuSeconds(s.proc.pid!);
  const r = await load(opts);
  cpuPerRequest.set(r, ((cpuSeconds(s.proc.pid!) - cpu0) * 1e6) / Math.max(1, r.requests.total));
  return r;
}
const cpuPerRequest = new WeakMap<autocannon.Result, number>();

const post = (url: string, extra: Partial<autocannon.Options> = {}): autocannon.Options => ({
  url: `${url}/v1/messages`, method: 'POST', connections: CONNECTIONS, duration: SECONDS,
  headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
  body: JSON.stringify({ to: '+14155550100', body: 'Your verification code is 123456' }),
  ...extra,
});

let ceiling = 0;
function row(name: string, r: autocannon.Result, rate = r.requests.average): void {
  const share = ceiling ? `  (${(rate / ceiling).toFixed(2)} of bare)` : '';
  const cpu = cpuPerRequest.has(r) ? `   CPU ${Math.round(cpuPerRequest.get(r)!)} µs/req` : '';
  console.log(`${name.padEnd(40)} ${String(Math.round(rate)).padStart(7)} req/s   p50 ${String(r.latency.p50).padStart(4)} ms   p99 ${String(r.latency.p99).padStart(4)} ms   non-2xx ${r.non2xx}   errors ${r.errors}${cpu}${share}`);
}

/** Messages final since `since`, read through the messages_final index (cheap however full the ledger). */
async function deliveredSince(store: SqliteStore | PostgresStore, since: number): Promise<number> {
  const r = await store.db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).where('final_at', '>=', since).where('status', '=', 'delivered').executeTakeFirst();
  return Number(r?.n ?? 0);
}

/**
 * Whether a message accepted since `since` is not yet final, through messages_open: the
 * first one found answers, so polling it often takes little from the servers being
 * measured (a count of every open message took 3 ms a poll on PostgreSQL with thousands
 * in flight, and it was counted in PostgreSQL's CPU per message).
 */
async function anyOpenSince(store: SqliteStore | PostgresStore, since: number): Promise<boolean> {
  const r = await store.db.selectFrom('messages').select('id').where('final_at', 'is', null).where('created_at', '>=', since).limit(1).executeTakeFirst();
  return r !== undefined;
}

/**
 * accepted → delivered: E2E_MESSAGES sends as fast as intake takes them, until the last
 * is delivered. The clocks are our own: intake ends at the last 202, delivery at the
 * first poll (every 10 ms once intake is done) that finds no accepted message still
 * open; autocannon's own end of an `amount` run waits for its once-a-second tick,
 * which would round the figures down.
 */
async function endToEnd(s: Server, store: SqliteStore | PostgresStore, label: string, pids: number[], connections = CONNECTIONS, serverCpu?: () => number, warmUp = 0): Promise<{ perSecond: number; cpuUs: number }> {
  if (warmUp > 0) {
    // Sent and delivered before the clocks start: each process's code is compiled hot, as
    // in a deployment that has run a while, whatever share of the messages it gets.
    const since = Date.now();
    const { duration: _w, ...warm } = post(s.url, { connections });
    await load({ ...warm, amount: warmUp });
    while (await anyOpenSince(store, since)) await new Promise((res) => setTimeout(res, 50));
  }
  const cpu0 = pids.map(cpuSeconds);
  const server0 = serverCpu?.() ?? 0;
  const t0 = Date.now();
  let accepted = 0;
  let answered = 0;
  let lastAccepted = t0;
  let result: autocannon.Result | null = null;
  const { duration: _d, ...opts } = post(s.url, { connections, ...(E2E_RATE > 0 ? { overallRate: E2E_RATE } : {}) });
  const run = new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({ ...opts, amount: E2E_MESSAGES }, (err, res) => (err ? reject(err) : resolve(res)));
    instance.on('response', (_client: unknown, status: number) => {
      answered++;
      if (status === 202) { accepted++; lastAccepted = Date.now(); }
    });
  });
  void run.then((r) => { result = r; });
  for (;;) {
    const allAnswered = result !== null || answered >= E2E_MESSAGES;
    if ((allAnswered && !(await anyOpenSince(store, t0))) || Date.now() - t0 > 300_000) break;
    // Counting costs CPU the server could use: rarely while intake runs, often after.
    await new Promise((res) => setTimeout(res, allAnswered ? 10 : 250));
  }
  const elapsed = (Date.now() - t0) / 1000;
  const delivered = await deliveredSince(store, t0);
  const cpu = pids.map((p, i) => cpuSeconds(p) - cpu0[i]);
  const r = await run;
  row(`POST while sending (${label})`, r, accepted / ((lastAccepted - t0) / 1000));
  const perMessage = cpu.map((c) => Math.round((c * 1e6) / Math.max(1, delivered)));
  const sum = perMessage.reduce((a, b) => a + b, 0);
  const server = serverCpu ? `; PostgreSQL ${Math.round(((serverCpu() - server0) * 1e6) / Math.max(1, delivered))} µs` : '';
  console.log(`  accepted → delivered (${label}): ${delivered} of ${accepted} in ${elapsed.toFixed(2)} s = ${Math.round(delivered / elapsed)} msg/s; CPU ${perMessage.join(' + ')}${pids.length > 1 ? ` = ${sum}` : ''} µs per message${pids.length > 1 ? ' (api + workers)' : ''}${server}`);
  return { perSecond: delivered / elapsed, cpuUs: sum };
}

/** Median, mean and p99 of `n` sequential GETs of `path`. */
async function timeGets(url: string, path: string, n = 200): Promise<string> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await fetch(url + path, { headers: { authorization: `Bearer ${KEY}` } });
    await res.arrayBuffer();
    times.push(performance.now() - t);
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  }
  times.sort((a, b) => a - b);
  // The median is the cost; the mean and p99 also carry the server's background work
  // (checkpoints, periodic sweeps), which on this machine swings them by ±40 % run to run.
  const at = (q: number) => times[Math.min(n - 1, Math.floor(n * q))].toFixed(2);
  return `${at(0.5)} ms (mean ${(times.reduce((a, b) => a + b, 0) / n).toFixed(2)}, p99 ${at(0.99)})`;
}

/** The flat-cost reads, against a running server and its store. */
async function reads(s: Server, store: SqliteStore | PostgresStore): Promise<Record<string, string>> {
  const any = await store.db.selectFrom('messages').select('id').orderBy('id', 'desc').limit(1).offset(100).executeTakeFirst();
  const out: Record<string, string> = {};
  out['GET /v1/messages/:id'] = await timeGets(s.url, `/v1/messages/${any!.id}`);
  out['GET /v1/messages?limit=50'] = await timeGets(s.url, '/v1/messages?limit=50');
  out['GET /v1/messages?to=…'] = await timeGets(s.url, `/v1/messages?to=${encodeURIComponent('+14155550100')}&limit=50`);
  out['GET /v1/messages?status=delivered'] = await timeGets(s.url, '/v1/messages?status=delivered&limit=50');
  out['GET /metrics'] = await timeGets(s.url, '/metrics', 100);
  out['GET /v1/status'] = await timeGets(s.url, '/v1/status', 100);
  out['GET /v1/reports/delivery (24 h)'] = await timeGets(s.url, '/v1/reports/delivery?group_by=provider', 20);
  out['GET /v1/reports/delivery (7 days)'] = await timeGets(s.url, `/v1/reports/delivery?group_by=day&since=${new Date(Date.now() - 7 * 86_400_000).toISOString()}`, 3);
  out['GET /v1/reports/activity (1 h)'] = await timeGets(s.url, '/v1/reports/activity?minutes=60', 20);
  // The alert check's two queries, as the monitor runs them.
  const t = performance.now();
  for (let i = 0; i < 100; i++) { await store.countFailovers(Date.now() - 600_000); await store.queueStats(Date.now()); }
  out['alert check (in process)'] = `${((performance.now() - t) / 100).toFixed(2)} ms`;
  return out;
}

console.log(`node ${process.version}, ${CONNECTIONS} connections, ${SECONDS} s per run\n`);

// 0. one routing decision, in process (bench/routing.ts)
if (runs('micro')) {
  await benchRouting();
  console.log('');
  await benchProviders();
  console.log('');
}

// 1. the ceiling: a bare node:http server answering a small JSON body; then the
//    framework's own ceiling: intake's route as Fastify sees it, with nothing behind it
//    (bench/framework.ts). Each with its CPU per request, which holds better than rates
//    when the load generator shares this machine's two cores.
if (runs('bare')) {
  const s = await start(['-e', `require('node:http').createServer((q,r)=>{let b='';q.on('data',c=>b+=c);q.on('end',()=>{r.writeHead(q.url==='/healthz'?200:202,{'content-type':'application/json'});r.end('{"id":"x","status":"queued"}')})}).listen(process.env.PORT,'127.0.0.1')`], {}, 18081);
  const r = await measured(s, post(s.url));
  row('bare node:http (ceiling)', r);
  ceiling = r.requests.average;
  await stop(s);
  const f = await start(['bench/framework.ts'], {}, 18087);
  await load(post(f.url, { duration: 2 })); // warm-up
  row('Fastify alone (intake route, no store)', await measured(f, post(f.url)));
  await stop(f);
}

// 2. intake alone: every 202 means the row is committed (WAL, synchronous=FULL)
async function intakeAlone(label: string, dir?: string): Promise<void> {
  const s = await start(['src/main.ts', '--role', 'api'], {}, 18082, dir);
  await load(post(s.url, { duration: 2 })); // warm-up
  const r = await measured(s, post(s.url));
  row(`POST /v1/messages (api role${label})`, r);
  const half = await load(post(s.url, { overallRate: Math.max(1, Math.round(r.requests.average / 2)) }));
  console.log(`  at half that rate (${Math.round(r.requests.average / 2)}/s): p50 ${half.latency.p50} ms, p99 ${half.latency.p99} ms`);
  await stop(s, dir !== undefined);
}
if (runs('intake')) await intakeAlone('');

// 3. the default deployment: `npm start` (all roles, one process), simulator at 0 ms
const figures: { npmStart?: { perSecond: number; cpuUs: number } } = {};
async function defaultDeployment(label: string, dir?: string): Promise<Record<string, string>> {
  const s = await start(['src/main.ts', 'serve'], { SWITCHBOARD_POLL_MS: '50' }, 18083, dir);
  const store = new SqliteStore(join(s.dir, 'switchboard.db'));
  const figure = await endToEnd(s, store, `npm start${label}`, [s.proc.pid!]);
  if (!label) figures.npmStart = figure;
  const r = await reads(s, store);
  // 16 connections are a closed loop bound by intake's latency; more show what the process
  // can carry. After the reads, so both ledgers are read after the same traffic.
  if (!label) await endToEnd(s, store, `npm start, ${CAPACITY_CONNECTIONS} connections`, [s.proc.pid!], CAPACITY_CONNECTIONS);
  await store.close();
  await stop(s, dir !== undefined);
  return r;
}
const emptyReads = runs('e2e') || runs('seeded') ? await defaultDeployment('') : {};

// 3b. `npm start` and Kannel 1.4.5 with delivery reports (bench/kannel.ts), each through one
// SMPP transceiver bind (window 100) to the same SMSC process (`switchboard sandbox smpp`,
// receipts 5 ms after each submit), 16 connections, E2E_MESSAGES each.
if (runs('kannel')) {
  const smscPort = 18095;
  const smsc = spawn(process.execPath, ['src/cli/main.ts', 'sandbox', 'smpp', '--port', String(smscPort), '--control-port', String(smscPort + 1)], { cwd: ROOT, stdio: 'ignore' });
  running.add(smsc);
  try {
    await until('the SMSC', () => new Promise<boolean>((res) => { const c = connect(smscPort, '127.0.0.1', () => { c.end(); res(true); }); c.on('error', () => res(false)); }), 30_000, 100);
    const s = await start(['src/main.ts', 'serve'], { SWITCHBOARD_POLL_MS: '50', SMPP_BENCH_PASSWORD: FAKE_SMPP_PASSWORD }, 18097);
    const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
    const created = await fetch(`${s.url}/v1/providers`, {
      method: 'POST', headers,
      body: JSON.stringify({ id: 'smsc', kind: 'smpp', config: { host: '127.0.0.1', port: smscPort, system_id: FAKE_SMPP_SYSTEM_ID, password_env: 'SMPP_BENCH_PASSWORD', from: '+14155550199', window: 100 } }),
    });
    if (created.status !== 201) throw new Error(`provider not created: ${await created.text()}`);
    // Bound once a first message is delivered (before the clocks start, so it is not counted).
    const first = await (await fetch(`${s.url}/v1/messages`, { method: 'POST', headers, body: JSON.stringify({ to: '+14155550100', body: 'bind check' }) })).json() as { id: string };
    await until('the SMPP bind', async () => (await (await fetch(`${s.url}/v1/messages/${first.id}`, { headers })).json() as { status: string }).status === 'delivered', 60_000, 200);
    const store = new SqliteStore(join(s.dir, 'switchboard.db'));
    const ours = await endToEnd(s, store, 'npm start → SMPP SMSC', [s.proc.pid!]);
    await store.close();
    await stop(s);
    if (!kannelInstalled()) console.log('Kannel: skipped (bearerbox and smsbox not installed: apt-get install kannel)');
    else {
      const k = await benchKannel({ port: smscPort, systemId: FAKE_SMPP_SYSTEM_ID, password: FAKE_SMPP_PASSWORD }, E2E_MESSAGES, CONNECTIONS, 100);
      console.log(`${'GET /cgi-bin/sendsms (Kannel 1.4.5)'.padEnd(40)} ${String(Math.round(k.intakePerSecond)).padStart(7)} req/s while sending`);
      console.log(`  accepted → delivered (Kannel with DLR, spool store): ${k.delivered} of ${k.accepted} in ${k.seconds.toFixed(2)} s = ${Math.round(k.delivered / k.seconds)} msg/s; CPU ${Math.round(k.cpuUsPerMessage)} µs per message (bearerbox + smsbox)`);
      const kRate = k.delivered / k.seconds;
      console.log(`  Switchboard ÷ Kannel, accepted → delivered: over SMPP ${(ours.perSecond / kRate).toFixed(2)}×${figures.npmStart ? `; npm start with its simulator ${(figures.npmStart.perSecond / kRate).toFixed(2)}×` : ''}`);
    }
  } finally {
    smsc.kill('SIGTERM');
  }
}

// 4. the same with a full ledger
if (runs('seeded')) {
  const seeded = mkdtempSync(join(tmpdir(), 'switchboard-seeded-'));
  const t = Date.now();
  await seed(seeded, SEED);
  console.log(`\nledger seeded with ${SEED} delivered messages in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  const copy = mkdtempSync(join(tmpdir(), 'switchboard-seeded-'));
  cpSync(seeded, copy, { recursive: true });
  await intakeAlone(`, ${SEED / 1e6}M in ledger`, copy);
  rmSync(copy, { recursive: true, force: true });
  const fullReads = await defaultDeployment(`, ${SEED / 1e6}M in ledger`, seeded);
  rmSync(seeded, { recursive: true, force: true });
  console.log(`\n${'read'.padEnd(34)} ${'empty ledger'.padEnd(40)} ${SEED / 1e6}M messages`);
  for (const k of Object.keys(emptyReads)) console.log(`${k.padEnd(34)} ${emptyReads[k].padEnd(40)} ${fullReads[k]}`);
  console.log('');
}

// 4b. the dashboard's refresh on a busy day
if (runs('dashboard')) {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-dashboard-'));
  await seed(dir, DASHBOARD_MESSAGES, 1, 0);
  const s = await start(['src/main.ts', 'serve'], {}, 18088, dir);
  const refresh = async () => {
    const t = performance.now();
    for (const path of ['/v1/status', '/v1/reports/activity?minutes=1440', '/v1/reports/delivery?group_by=provider']) {
      const res = await fetch(s.url + path, { headers: { authorization: `Bearer ${KEY}` } });
      if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
      await res.arrayBuffer();
    }
    return performance.now() - t;
  };
  const first = await refresh();
  const later = Array.from({ length: 10 }, () => 0);
  for (let i = 0; i < later.length; i++) later[i] = await refresh();
  later.sort((a, b) => a - b);
  console.log(`dashboard refresh, "last day", ${DASHBOARD_MESSAGES} messages in the last 24 h: first ${first.toFixed(0)} ms (rolls the day up), then median ${later[5].toFixed(0)} ms`);
  await stop(s);
  console.log('');
}

// 5. PostgreSQL: one api process and 1, 2, 3 worker processes (BENCH_PG_WORKERS), and
//    PostgreSQL's own CPU per message (every postgres process of the server)
/**
 * A PostgreSQL deployment on `schema` (migrated here first): `workers` worker processes and
 * one api process; `use` runs against it, then the processes stop. The store is the caller's
 * to close (and its schema to drop).
 */
async function pgDeployment(schema: string, workers: number, byMonth: boolean, use: (api: Server, owner: PostgresStore, pids: number[]) => Promise<void>): Promise<PostgresStore> {
  const url = new URL(PG_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const owner = new PostgresStore(PG_URL, { schema, max: 2, ledgerByMonth: byMonth });
  await owner.migrate();
  // The implicit simulator serves on PostgreSQL only when asked (DESIGN.md §6).
  const env = { DATABASE_URL: url.toString(), SWITCHBOARD_SIMULATOR: 'on', SWITCHBOARD_PG_LEDGER_BY_MONTH: String(byMonth) };
  const ws: Server[] = [];
  for (let i = 0; i < workers; i++) ws.push(await start(['src/main.ts', '--role', 'worker'], env, 18090 + i, undefined, false));
  const api = await start(['src/main.ts', '--role', 'api'], env, 18086);
  await use(api, owner, [api.proc.pid!, ...ws.map((w) => w.proc.pid!)]);
  await stop(api);
  for (const w of ws) await stop(w);
  return owner;
}

if (PG_URL && runs('pg')) {
  // BENCH_PG_LEDGER=month: the ledger by month (a new database's default) instead of plain tables.
  const byMonth = process.env.BENCH_PG_LEDGER === 'month';
  for (const workers of (process.env.BENCH_PG_WORKERS ?? '1,2,3').split(',').map(Number)) {
    const label = `PostgreSQL (${byMonth ? 'ledger by month' : 'plain tables'}), api + ${workers} worker${workers > 1 ? 's' : ''}`;
    const owner = await pgDeployment(`bench_${Date.now().toString(36)}`, workers, byMonth, async (api, store, pids) => { await endToEnd(api, store, label, pids, CONNECTIONS, postgresCpuSeconds, PG_WARM_UP); });
    await owner.dropSchema();
    await owner.close();
  }
} else if (runs('pg')) {
  console.log('PostgreSQL: skipped (set BENCH_DATABASE_URL or TEST_DATABASE_URL)');
}

// 5b. PostgreSQL with PG_SEED delivered messages in its ledger (plain, and by month:
//     SWITCHBOARD_PG_LEDGER_BY_MONTH) beside an empty one: api + 1 worker end to end, then the reads that must stay flat; then
//     retention (by month: the oldest month dropped; plain: a batch of rows). The seeded schema is kept for the next run
//     (BENCH_PG_DROP_SEED=1 drops it); a month retention dropped is seeded again then.
if (PG_URL && runs('pgseeded')) {
  // BENCH_PG_LEDGERS=plain,month: the default ledger, and the ledger by month (SWITCHBOARD_PG_LEDGER_BY_MONTH).
  for (const mode of (process.env.BENCH_PG_LEDGERS ?? 'plain,month').split(',') as Array<'plain' | 'month'>) {
    const byMonth = mode === 'month';
    const seededSchema = `bench_seeded_${mode}_${PG_SEED}`;
    const t = Date.now();
    const wrote = await seedPostgres(PG_URL, seededSchema, PG_SEED, 120, byMonth);
    console.log(`\nPostgreSQL ledger${byMonth ? ' by month' : ''}: ${PG_SEED} delivered messages over 120 days (${wrote} seeded now, in ${((Date.now() - t) / 1000).toFixed(1)} s; the rest kept from an earlier run)`);
    const out: Record<string, Record<string, string>> = {};
    for (const [label, schema] of [['empty', `bench_${Date.now().toString(36)}`], [`${PG_SEED / 1e6}M`, seededSchema]] as const) {
      const owner = await pgDeployment(schema, 1, byMonth, async (api, store, pids) => {
        await endToEnd(api, store, `PostgreSQL${byMonth ? ' by month' : ''}, api + 1 worker, ${label} ledger`, pids, CONNECTIONS, postgresCpuSeconds);
        out[label] = await reads(api, store);
      });
      if (schema === seededSchema) {
        const oldest = monthStart(Date.now() - 121 * 86_400_000); // the seed ends a day ago and spans 120 days
        const cut = monthStart(oldest, 1) + 86_400_000; // a day into the next month
        const t0 = performance.now();
        if (byMonth) {
          // Meanwhile a read of the ledger, over and over: how long did the drop hold the ledger?
          let done = false;
          let held = 0;
          const probe = (async () => {
            while (!done) {
              const t1 = performance.now();
              await owner.db.selectFrom('messages').select('id').where('id', '=', 'msg_probe').execute();
              held = Math.max(held, performance.now() - t1);
              await new Promise((res) => setTimeout(res, 2));
            }
          })();
          const dropped = await dropExpiredMonths(owner.db, cut);
          const ms = performance.now() - t0;
          done = true;
          await probe;
          console.log(`  retention of the oldest month (${new Date(oldest).toISOString().slice(0, 7)}, about ${dropped.messages} messages with their attempts, parts and events): ${ms.toFixed(0)} ms; a read of the ledger meanwhile waited at most ${held.toFixed(0)} ms`);
          await owner.db.deleteFrom('bench_seeded' as never).where('month' as never, '=', oldest as never).execute();
        } else {
          const n = await owner.purgeMessages(cut, 5_000);
          const ms = performance.now() - t0;
          console.log(`  retention row by row: ${n} messages with their attempts, parts and events in ${ms.toFixed(0)} ms (${Math.round(n / (ms / 1000))} messages/s)`);
        }
        if (process.env.BENCH_PG_DROP_SEED === '1') await owner.dropSchema();
      } else {
        await owner.dropSchema();
      }
      await owner.close();
    }
    const [empty, full] = Object.values(out);
    console.log(`\n${`read (PostgreSQL${byMonth ? ', by month' : ''})`.padEnd(34)} ${'empty ledger'.padEnd(40)} ${PG_SEED / 1e6}M messages`);
    for (const k of Object.keys(empty)) console.log(`${k.padEnd(34)} ${empty[k].padEnd(40)} ${full[k]}`);
    console.log('');
  }
}

// 6. webhook ingestion (api role: verify signature, store raw, answer)
if (runs('webhooks')) {
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

// 7. a bulk send (POST /v1/batches) on the embedded default: 10,000 recipients of one
// template in one request, timed to its 202, then until every message is final; the
// server's CPU per message over both.
if (runs('batch')) {
  const s = await start(['src/main.ts'], {}, 18087);
  const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
  await fetch(`${s.url}/v1/templates`, { method: 'POST', headers, body: JSON.stringify({ id: 'notice', body: 'Hi {name}, the office is closed on {day}.' }) });
  const n = Number(process.env.BENCH_BATCH ?? 10_000);
  const recipients = Array.from({ length: n }, (_, i) => ({ to: `+1415${String(7_000_000 + i).padStart(7, '0')}`, variables: { name: `P${i}`, day: 'Friday' } }));
  const cpu0 = cpuSeconds(s.proc.pid!);
  const t0 = performance.now();
  const res = await fetch(`${s.url}/v1/batches`, { method: 'POST', headers, body: JSON.stringify({ template: 'notice', recipients }) });
  const accepted = performance.now() - t0;
  const batch = await res.json() as { id: string; accepted: number };
  if (res.status !== 202 || batch.accepted !== n) throw new Error(`batch not accepted: ${res.status} ${JSON.stringify(batch).slice(0, 200)}`);
  const cpuAccept = cpuSeconds(s.proc.pid!) - cpu0;
  for (;;) {
    const b = await (await fetch(`${s.url}/v1/batches/${batch.id}`, { headers })).json() as { done: number };
    if (b.done >= n) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const all = performance.now() - t0;
  const cpuAll = cpuSeconds(s.proc.pid!) - cpu0;
  console.log(`POST /v1/batches, ${n} recipients (npm start): accepted in ${accepted.toFixed(0)} ms (${Math.round(n / (accepted / 1000))} msg/s, CPU ${Math.round((cpuAccept * 1e6) / n)} µs per message); all final in ${(all / 1000).toFixed(2)} s (${Math.round(n / (all / 1000))} msg/s, CPU ${Math.round((cpuAll * 1e6) / n)} µs per message)`);
  await stop(s);
}

// 8. SMPP server through one bind
if (runs('claim')) await benchClaim();
if (runs('whlife')) await benchWebhookLife();
if (runs('status')) await benchStatusWindow();
if (runs('regions')) await benchRegions();
if (runs('events')) await benchEvents();
if (runs('smpp')) await benchSmpp();

// 9. a receipt storm
if (runs('storm')) await benchDlrStorm();
