// Small helpers the bench's parts share.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS = 100; // /proc/<pid>/stat CPU times are in clock ticks (USER_HZ)

/** Waits until `ok()` holds, checking every `everyMs`; throws after `ms`. */
export async function until(what: string, ok: () => boolean | Promise<boolean>, ms: number, everyMs = 20): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** CPU seconds (user + system) the process has used so far. */
export function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS;
}

/** CPU seconds of the PostgreSQL server: every postgres process, and the postmaster's exited children. */
export function postgresCpuSeconds(): number {
  let total = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let stat: string;
    try { stat = readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { continue; }
    if (!stat.includes('(postgres)')) continue;
    const f = stat.split(') ')[1].split(' ');
    total += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  }
  return total / TICKS;
}
