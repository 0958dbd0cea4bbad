// switchboard apply <file.json> / switchboard export: provider records as a versioned
// file, for infrastructure-as-code set-ups. Apply upserts by id and is idempotent;
// export writes what apply reads. Shape: { "providers": [ { id, kind, priority, active,
// config, prices } ] }.
import { readFileSync } from 'node:fs';
import { loadConfig } from '../config.ts';
import { openStore } from '../store/open-store.ts';
import { upsertProvider, type ProviderInput } from '../http/routes/v1/providers.ts';

const KINDS = ['simulator', 'twilio'];

export async function applyCommand(path: string | undefined): Promise<number> {
  if (!path) { console.error('usage: switchboard apply <file.json>'); return 2; }
  const doc = JSON.parse(readFileSync(path, 'utf8')) as { providers?: ProviderInput[] };
  const unknown = Object.keys(doc).filter((k) => k !== 'providers');
  if (unknown.length) { console.error(`unknown sections in ${path}: ${unknown.join(', ')} (known: providers)`); return 2; }
  const store = await openStore(loadConfig());
  try {
    for (const p of doc.providers ?? []) {
      await upsertProvider({ store }, p, KINDS);
      console.log(`provider ${p.id}: applied`);
    }
    return 0;
  } finally {
    await store.close();
  }
}

export async function exportCommand(): Promise<number> {
  const store = await openStore(loadConfig());
  try {
    const providers = (await store.listProviders()).map((p) => ({
      id: p.id, kind: p.kind, priority: p.priority, active: p.active === 1, config: JSON.parse(p.config), prices: JSON.parse(p.prices),
    }));
    console.log(JSON.stringify({ providers }, null, 2));
    return 0;
  } finally {
    await store.close();
  }
}
