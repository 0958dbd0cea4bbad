// Waiting with a deadline: a shutdown that lets work finish for so long, and no longer.

/** Waits for `p`, or until `deadline` (epoch ms; Infinity: no deadline), whichever comes first. */
export async function until(p: Promise<unknown>, deadline: number): Promise<void> {
  if (deadline === Infinity) { await p; return; }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise((r) => { timer = setTimeout(r, Math.max(0, deadline - Date.now())); })]);
  clearTimeout(timer);
}
