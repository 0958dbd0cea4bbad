// Cost of one routing decision (Router.plan), in process, on the embedded store with a
// realistic record set: 3 providers with per-country prices, 60 numbers across 3
// countries, one country rule, 100,000 messages in the ledger. "Cached": the (account, country) candidate list is cached
// and the recipient's sticky sender is in memory. "Cold": the cache is dropped before
// every decision and every recipient is new, so each decision rebuilds the candidate list
// and looks the recipient's last sender up in the ledger.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { ProviderRegistry } from '../src/providers/registry.ts';
import { Health } from '../src/routing/health.ts';
import { Router } from '../src/routing/choose-route.ts';
import { newMessage } from '../test/helpers/rows.ts';

const dir = mkdtempSync(join(tmpdir(), 'sb-bench-routing-'));
const config = loadConfig({}, { dataDir: dir });
const store = new SqliteStore(join(dir, 'switchboard.db'));
await store.migrate();
const now = Date.now();
const providers = [['alpha', '0.0079', '0.0400'], ['beta', '0.0081', '0.0350'], ['gamma', '0.0100', '0.0300']] as const;
for (const [i, [id, us, gb]] of providers.entries()) {
  await store.upsertProvider({ id, kind: 'simulator', priority: i, active: 1, config: '{}', prices: JSON.stringify({ US: us, GB: gb, '*': '0.0500' }), created_at: now, updated_at: now });
}
const countries = [['US', '+1415555'], ['GB', '+4474001'], ['DE', '+4915112']] as const;
for (let i = 0; i < 60; i++) {
  const [country, prefix] = countries[i % 3];
  await store.upsertNumber({
    number: `${prefix}${String(1000 + i).slice(-4)}${country === 'US' ? '' : '23'}`, provider_id: providers[i % 3][0], account_id: 'default', country, type: 'longcode',
    capabilities: '["sms","international"]', rate_per_second: 1, pool: 'default', active: 1, created_at: now, updated_at: now,
  });
}
// A ledger of 100,000 sent messages, so the sticky-sender lookup searches a real index.
for (let b = 0; b < 100; b++) {
  await store.insertMessages(Array.from({ length: 1000 }, (_, i) => newMessage({
    to_number: `+1628${String(1000000 + b * 1000 + i)}`, from_number: '+14155551000', provider_id: 'alpha', status: 'delivered', sent_at: now - i, next_attempt_at: null,
  })));
}
await store.upsertCountryRule({ country: 'DE', require_local: 1, allow_alphanumeric: 0, providers: null, created_at: now, updated_at: now });
const logger = pino({ level: 'silent' });
const registry = new ProviderRegistry({ store, config, logger, emitWebhook: async () => {} });
const health = new Health({ windowMs: 300_000, threshold: 0.05, minSamples: 20, openMs: 30_000 });
const router = new Router({ registry, store, health, deliveryWeight: 1, logger });
await router.refresh();

const recipient = (i: number) => `+1415${String(2000000 + i)}`;
type Row = Parameters<Router['plan']>[0];
const row = (i: number, country: string): Row => ({ account_id: 'default', country, requested_from: null, to_number: recipient(i), segments: 1 });

async function measure(n: number, before: () => void, make: (i: number) => Row, network: (i: number) => { mcc: string; mnc: string } | null = () => null): Promise<{ p50: number; p99: number }> {
  const us: number[] = [];
  for (let i = 0; i < n; i++) {
    before();
    const r = make(i);
    const t = process.hrtime.bigint();
    const plan = await router.plan(r, Date.now(), { network: network(i) });
    us.push(Number(process.hrtime.bigint() - t) / 1000);
    if (!plan.ok) throw new Error(plan.reason);
  }
  us.sort((a, b) => a - b);
  return { p50: us[Math.floor(n * 0.5)], p99: us[Math.floor(n * 0.99)] };
}

export async function benchRouting(): Promise<void> {
  // Warm: candidate lists cached, 1,000 recipients with a remembered sender.
  const warm = (i: number) => row(i % 1000, countries[i % 3][0]);
  for (let i = 0; i < 1000; i++) router.remember(recipient(i), '+14155551000');
  await measure(20_000, () => {}, warm);
  const cached = await measure(100_000, () => {}, warm);
  // Cold: no cached candidates, and recipients never seen before.
  const cold = await measure(5_000, () => router.invalidate(), (i) => row(1_000_000 + i, countries[i % 3][0]));
  const f = (x: number) => `${x.toFixed(1)} µs`;
  console.log(`routing decision, cached                 p50 ${f(cached.p50)}   p99 ${f(cached.p99)}   (100,000 decisions)`);
  console.log(`routing decision, cold (cache dropped)   p50 ${f(cold.p50)}   p99 ${f(cold.p99)}   (5,000 decisions, ledger lookup for the sticky sender)`);
  // Below the country (issue 28): 300 prefix rules and 30 network rules, and price lists
  // with 50 prefixes and 10 networks each; half the decisions carry a looked-up network.
  for (let i = 0; i < 300; i++) await store.upsertRouteRule({ match: `+1${200 + i}`, providers: JSON.stringify([providers[i % 3][0], providers[(i + 1) % 3][0]]), created_at: now, updated_at: now });
  for (let i = 0; i < 30; i++) await store.upsertRouteRule({ match: `310-${200 + i}`, providers: JSON.stringify([providers[(i + 2) % 3][0]]), created_at: now, updated_at: now });
  for (const [i, [id, us, gb]] of providers.entries()) {
    const specific = Object.fromEntries([...Array.from({ length: 50 }, (_, k) => [`+1${200 + k * 6}`, `0.00${70 + k % 20}`]), ...Array.from({ length: 10 }, (_, k) => [`310-${200 + k * 3}`, `0.00${60 + k}`])]);
    await store.upsertProvider({ id, kind: 'simulator', priority: i, active: 1, config: '{}', prices: JSON.stringify({ US: us, GB: gb, '*': '0.0500', ...specific }), created_at: now, updated_at: now });
  }
  await router.refresh();
  const network = (i: number) => (i % 2 === 0 ? { mcc: '310', mnc: String(200 + (i % 30)) } : null);
  const usRow = (i: number): Row => ({ ...row(i % 1000, 'US'), to_number: `+1${200 + (i % 300)}5550${String(100 + (i % 900))}` });
  for (let i = 0; i < 1000; i++) router.remember(usRow(i).to_number, '+14155551000');
  await measure(20_000, () => {}, usRow, network);
  const ruled = await measure(100_000, () => {}, usRow, network);
  const ruledCold = await measure(5_000, () => router.invalidate(), (i) => ({ ...usRow(i), to_number: `+1${200 + (i % 300)}7${String(100000 + i)}` }), network);
  console.log(`routing decision with prefix and network rules and prices, cached   p50 ${f(ruled.p50)}   p99 ${f(ruled.p99)}   (330 rules; half with a looked-up network)`);
  console.log(`routing decision with prefix and network rules and prices, cold     p50 ${f(ruledCold.p50)}   p99 ${f(ruledCold.p99)}`);
  await registry.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

if (import.meta.main) await benchRouting();
