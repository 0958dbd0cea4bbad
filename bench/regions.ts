// The fan-out cost of regions (BENCH_ONLY=regions): the same BENCH_REGION_MESSAGES
// (200,000) delivered messages of the last day on one SQLite store, on a store with one
// region, and split over two regions (half each); a page of the message list and the
// delivery report of the day read from each. The report's first read rolls up the day's
// minutes (per store); later reads take the rollups.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { regionalStore } from '../src/store/regional/regional-store.ts';
import { parseRegionMap } from '../src/domain/regions.ts';
import { deliveryReport } from '../src/services/reports.ts';
import type { Store } from '../src/store/store.ts';
import { seed } from './seed.ts';

const MESSAGES = Number(process.env.BENCH_REGION_MESSAGES ?? 200_000);

async function median(what: () => Promise<unknown>, n = 30): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) { const t = performance.now(); await what(); times.push(performance.now() - t); }
  return times.sort((a, b) => a - b)[Math.floor(n / 2)];
}

async function seededStore(dirs: string[], messages: number): Promise<SqliteStore> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-regions-'));
  dirs.push(dir);
  await seed(dir, messages, 1, 120_000);
  const store = new SqliteStore(join(dir, 'switchboard.db'));
  await store.migrate();
  return store;
}

async function measure(store: Store): Promise<string> {
  const list = await median(() => store.listMessages({ accountId: 'default', limit: 51 }));
  const filtered = await median(() => store.listMessages({ accountId: 'default', status: 'delivered', to: '+14152000004', limit: 51 }));
  const day = { groupBy: 'provider' as const, since: Date.now() - 86_400_000, until: Date.now() };
  const t = performance.now();
  await deliveryReport(store, day);
  const first = performance.now() - t;
  const report = await median(() => deliveryReport(store, { ...day, since: day.since, until: Date.now() }), 10);
  return `list page ${list.toFixed(2)} ms, by recipient ${filtered.toFixed(2)} ms; day's report ${report.toFixed(1)} ms (first read, rolling up: ${first.toFixed(0)} ms)`;
}

export async function benchRegions(): Promise<void> {
  const dirs: string[] = [];
  try {
    const home = () => { const d = mkdtempSync(join(tmpdir(), 'switchboard-home-')); dirs.push(d); return new SqliteStore(join(d, 'switchboard.db')); };
    const plain = await seededStore(dirs, MESSAGES);
    console.log(`regions, ${MESSAGES.toLocaleString('en')} messages (SQLite): no regions: ${await measure(plain)}`);
    await plain.close();
    const one = regionalStore(home(), [await seededStore(dirs, MESSAGES)], parseRegionMap('us', 'us=*')!);
    await one.migrate();
    console.log(`  one region: ${await measure(one)}`);
    await one.close();
    const two = regionalStore(home(), [await seededStore(dirs, MESSAGES / 2), await seededStore(dirs, MESSAGES / 2)], parseRegionMap('eu,us', 'eu=DE;us=*')!);
    await two.migrate();
    console.log(`  two regions (half each): ${await measure(two)}`);
    await two.close();
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}
