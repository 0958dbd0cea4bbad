// switchboard apply <file.json> / switchboard export: routing records as a versioned
// file, for infrastructure-as-code set-ups. Apply upserts by key and is idempotent;
// export writes what apply reads. Shape: { "providers": [ { id, kind, priority, active,
// config, prices } ], "numbers": [ { number, provider_id, type, rate_per_second, … } ],
// "country_rules": [ { country, require_local, allow_alphanumeric, providers } ] }.
import { readFileSync } from 'node:fs';
import { loadConfig } from '../config.ts';
import { openStore } from '../store/open-store.ts';
import { upsertProvider, type ProviderInput } from '../http/routes/v1/providers.ts';
import { presentNumber, upsertNumber, type NumberInput } from '../http/routes/v1/numbers.ts';
import { presentCountryRule, upsertCountryRule, type CountryRuleInput } from '../http/routes/v1/country-rules.ts';

const SECTIONS = ['providers', 'numbers', 'country_rules'];

const KINDS = ['simulator', 'twilio'];

export async function applyCommand(path: string | undefined): Promise<number> {
  if (!path) { console.error('usage: switchboard apply <file.json>'); return 2; }
  const doc = JSON.parse(readFileSync(path, 'utf8')) as { providers?: ProviderInput[]; numbers?: NumberInput[]; country_rules?: CountryRuleInput[] };
  const unknown = Object.keys(doc).filter((k) => !SECTIONS.includes(k));
  if (unknown.length) { console.error(`unknown sections in ${path}: ${unknown.join(', ')} (known: ${SECTIONS.join(', ')})`); return 2; }
  const store = await openStore(loadConfig());
  try {
    for (const p of doc.providers ?? []) {
      await upsertProvider({ store }, p, KINDS);
      console.log(`provider ${p.id}: applied`);
    }
    for (const n of doc.numbers ?? []) {
      const row = await upsertNumber(store, n);
      console.log(`number ${row.number}: applied`);
    }
    for (const r of doc.country_rules ?? []) {
      await upsertCountryRule(store, r);
      console.log(`country rule ${r.country}: applied`);
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
    const numbers = (await store.listNumbers()).map((n) => { const { created_at: _c, updated_at: _u, ...rest } = presentNumber(n); return rest; });
    const country_rules = (await store.listCountryRules()).map((r) => { const { created_at: _c, updated_at: _u, ...rest } = presentCountryRule(r); return rest; });
    console.log(JSON.stringify({ providers, numbers, country_rules }, null, 2));
    return 0;
  } finally {
    await store.close();
  }
}
