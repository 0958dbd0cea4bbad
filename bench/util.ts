// Small helpers the bench's parts share.
import { readFileSync } from 'node:fs';

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
