// npm run fuzz — 100,000 generated inputs per target (FUZZ_RUNS to change), the same
// targets and properties as test/fuzz/fuzz.test.ts: intake and the webhook routes through
// the real server (in-process inject), every provider's parsers, phone numbers and bodies.
// Prints the count per target and the statuses seen; any 5xx, crash or malformed record
// stops it with the shrunk input.
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/log.ts';
import { assertClientError, assertParses, assertTextRules, nastyText, parserAdapters, phoneLike, rawWebhook, sendBody } from '../test/fuzz/targets.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 100_000);
const KEY = 'fuzz-admin-key';
const dir = mkdtempSync(join(tmpdir(), 'switchboard-fuzz-'));
const app = await createApp(loadConfig({}, { port: 0, host: '127.0.0.1', dataDir: dir, adminKey: KEY, logLevel: 'silent', simulatorLatencyMs: 0, role: 'api' }), { logger: createLogger('silent') });
await app.start();

async function target(name: string, run: () => Promise<void> | void): Promise<void> {
  const t0 = performance.now();
  await run();
  console.log(`${name.padEnd(44)} ${RUNS.toLocaleString('en')} inputs in ${((performance.now() - t0) / 1000).toFixed(1)} s: 0 failures`);
}

try {
  const statuses = new Map<number, number>();
  await target('POST /v1/messages (any JSON)', () => fc.assert(fc.asyncProperty(sendBody, async (body) => {
    const res = await app.server!.inject({ method: 'POST', url: '/v1/messages', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) ?? '' });
    statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
    assertClientError(res.statusCode, res.json(), body);
  }), { numRuns: RUNS }));
  console.log(`${''.padEnd(44)} statuses: ${[...statuses].sort().map(([s, n]) => `${s} ×${n}`).join(', ')}`);
  await target('POST /webhooks/:id/:kind (unsigned)', () => fc.assert(fc.asyncProperty(rawWebhook, fc.constantFrom('status', 'inbound'), async (w, kind) => {
    const res = await app.server!.inject({ method: 'POST', url: `/webhooks/simulator/${kind}?${new URLSearchParams(w.query)}`, headers: { 'content-type': w.contentType || 'text/plain' }, payload: w.body });
    if (res.statusCode >= 500 || res.statusCode === 200) throw new Error(`${res.statusCode} for ${w.body.slice(0, 100)}`);
  }), { numRuns: RUNS }));
  const adapters = parserAdapters();
  await target(`parsers of ${adapters.map((a) => a.kind).join(', ')}`, () => fc.assert(fc.property(rawWebhook, (w) => { for (const a of adapters) assertParses(a, w); }), { numRuns: RUNS }));
  await target('phone numbers and bodies', () => fc.assert(fc.property(phoneLike, nastyText, (p, b) => assertTextRules(p, b)), { numRuns: RUNS }));
} finally {
  await app.stop();
  rmSync(dir, { recursive: true, force: true });
}
