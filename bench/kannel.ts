// Kannel 1.4.5 (Debian's `kannel` package) with delivery reports, as the issue measured it:
// bearerbox with one SMPP transceiver bind to an SMSC, smsbox taking
// GET /cgi-bin/sendsms, each message asking for a delivery report (dlr-mask=1) fetched
// from a dlr-url that this process counts. Messages are kept in Kannel's spool store
// (store-type = spool), as a deployment that must not lose accepted messages runs it.
// Accepted → delivered: from the first sendsms to the last delivery report; CPU of
// bearerbox and smsbox per delivered message. The SMSC is the caller's (the same
// process Switchboard's SMPP run sends to), so its CPU counts for neither.
// Skipped, saying why, where bearerbox is not installed (`apt-get install kannel`).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { cpuSeconds, until } from './util.ts';

export interface GatewayFigure { accepted: number; delivered: number; seconds: number; intakePerSecond: number; cpuUsPerMessage: number }

const PORTS = { admin: 18100, smsbox: 18101, sendsms: 18102 };

export function kannelInstalled(): boolean {
  return spawnSync('sh', ['-c', 'command -v bearerbox && command -v smsbox'], { stdio: 'ignore' }).status === 0;
}

function config(dir: string, smsc: { port: number; systemId: string; password: string }, window: number): string {
  return `group = core
admin-port = ${PORTS.admin}
admin-password = bench
admin-allow-ip = "127.0.0.1"
smsbox-port = ${PORTS.smsbox}
box-allow-ip = "127.0.0.1"
log-file = "${dir}/bearerbox.log"
log-level = 4
dlr-storage = internal
store-type = spool
store-location = "${dir}/spool"

group = smsc
smsc = smpp
smsc-id = bench
host = 127.0.0.1
port = ${smsc.port}
transceiver-mode = true
smsc-username = ${smsc.systemId}
smsc-password = ${smsc.password}
system-type = ""
max-pending-submits = ${window}
msg-id-type = 0x00
log-level = 4

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = ${PORTS.smsbox}
sendsms-port = ${PORTS.sendsms}
log-file = "${dir}/smsbox.log"
log-level = 4

group = sendsms-user
username = bench
password = bench

group = sms-service
keyword = default
text = "No service"
`;
}

/** Kannel, bound to the SMSC at `smsc.port`, sending `messages` over `connections` connections. */
export async function benchKannel(smsc: { port: number; systemId: string; password: string }, messages: number, connections: number, window: number): Promise<GatewayFigure> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-kannel-'));
  mkdirSync(join(dir, 'spool'));
  const conf = join(dir, 'kannel.conf');
  writeFileSync(conf, config(dir, smsc, window));
  let reports = 0;
  const dlr = createServer((req, res) => {
    if (new URL(req.url ?? '/', 'http://x').searchParams.get('type') === '1') reports++;
    res.end('ok');
  });
  await new Promise<void>((r) => dlr.listen(0, '127.0.0.1', r));
  const dlrUrl = `http://127.0.0.1:${(dlr.address() as AddressInfo).port}/dlr?type=%d`;
  const boxes: ChildProcess[] = [];
  const box = (bin: string) => { const p = spawn(bin, [conf], { stdio: ['ignore', 'ignore', 'ignore'] }); boxes.push(p); return p; };
  try {
    const bearer = box('bearerbox');
    await until('bearerbox', async () => (await fetch(`http://127.0.0.1:${PORTS.admin}/status.txt?password=bench`).catch(() => null))?.ok === true, 30_000, 100);
    const sms = box('smsbox');
    const query = (to: string) => `/cgi-bin/sendsms?${new URLSearchParams({ username: 'bench', password: 'bench', from: '14155550199', to, text: 'Your verification code is 123456', 'dlr-mask': '1', 'dlr-url': dlrUrl })}`;
    await until('smsbox', async () => (await fetch(`http://127.0.0.1:${PORTS.sendsms}/`).catch(() => null)) !== null, 30_000, 100);
    // The bind is up once a first message comes back delivered.
    await until('the SMPP bind', async () => {
      await fetch(`http://127.0.0.1:${PORTS.sendsms}${query('14155550100')}`).catch(() => null);
      return reports > 0;
    }, 30_000, 500);
    await until('the warm-up reports', async () => { const n = reports; await new Promise((r) => setTimeout(r, 300)); return n === reports; }, 30_000);
    reports = 0;
    const pids = [bearer.pid!, sms.pid!];
    const cpu0 = pids.map(cpuSeconds);
    const t0 = Date.now();
    let accepted = 0;
    let lastAccepted = t0;
    let finished = false;
    const run = new Promise<void>((resolve, reject) => {
      const instance = autocannon({ url: `http://127.0.0.1:${PORTS.sendsms}${query('14155550100')}`, connections, amount: messages }, (err) => (err ? reject(err) : resolve()));
      instance.on('response', (_c: unknown, status: number) => { if (status === 202) { accepted++; lastAccepted = Date.now(); } });
    }).then(() => { finished = true; });
    await until('every delivery report', () => finished && reports >= accepted, 300_000, 10);
    const seconds = (Date.now() - t0) / 1000;
    const cpu = pids.map(cpuSeconds).reduce((a, c, i) => a + c - cpu0[i], 0);
    await run;
    return { accepted, delivered: reports, seconds, intakePerSecond: accepted / ((lastAccepted - t0) / 1000), cpuUsPerMessage: (cpu * 1e6) / Math.max(1, reports) };
  } finally {
    for (const p of boxes.reverse()) {
      p.kill('SIGTERM');
      await new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)));
    }
    await new Promise((r) => dlr.close(r));
    rmSync(dir, { recursive: true, force: true });
  }
}
