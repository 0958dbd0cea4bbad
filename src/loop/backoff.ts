// Exponential backoff with jitter: the n-th retry waits base·2^(n-1), capped, then
// scaled by a random factor in [0.5, 1) so a burst of failures does not retry in lockstep.
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp * (0.5 + random() * 0.5));
}
