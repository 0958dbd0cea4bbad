// switchboard prices import <provider> <file.csv> [--dry-run]: a price list as
// aggregators publish it, read into the provider's prices (services/price-list.ts).
// Running servers pick the change up within a second (services/config-watch.ts).
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { loadConfig } from '../config.ts';
import { openStore } from '../store/open-store.ts';
import { importPriceList } from '../services/price-list.ts';

const USAGE = 'usage: switchboard prices import <provider> <file.csv> [--dry-run]   (columns: price, and mcc+mnc, prefix or country)';

export async function pricesCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { 'dry-run': { type: 'boolean' } } });
  const [sub, provider, file] = positionals;
  if (sub !== 'import' || !provider || !file) { console.error(USAGE); return 2; }
  const text = readFileSync(file, 'utf8');
  const store = await openStore(loadConfig());
  try {
    const dryRun = values['dry-run'] === true;
    const r = await importPriceList(store, provider, text, dryRun);
    for (const c of r.changes) console.log(c.from === null ? `+ ${c.key.padEnd(10)} ${c.to}` : `~ ${c.key.padEnd(10)} ${c.from} → ${c.to}`);
    for (const p of r.problems) console.error(`! ${p}`);
    const added = r.changes.filter((c) => c.from === null).length;
    const summary = `${provider}: ${added} added, ${r.changes.length - added} changed, ${r.unchanged} unchanged`;
    if (r.problems.length > 0) { console.error(`${summary}; nothing written: fix the ${r.problems.length} problem(s) above`); return 1; }
    console.log(dryRun ? `${summary} (dry run: nothing written)` : `${summary}; written`);
    return 0;
  } finally {
    await store.close();
  }
}
