// switchboard apply <file.json> / switchboard export: routing records as a versioned
// file, for infrastructure-as-code set-ups. Apply upserts by key and is idempotent;
// export writes what apply reads. Shape: { "providers": [ { id, kind, priority, active,
// config, prices } ], "numbers": [ { number, provider_id, type, rate_per_second, … } ],
// "country_rules": [ { country, require_local, allow_alphanumeric, providers, lookup } ],
// "relay_rules": [ { number, destinations, template, active } ],
// "opt_outs": [ { account_id, number, sender } ],
// "templates": [ { account_id, id, body, variables, locale } ] } (opt-outs are only ever added here:
// removing one is a deliberate act, done with DELETE /v1/opt-outs/:number). Applying is
// an operator's act (whoever can open the database is one), with the API's validation:
// credential variable names must pass SWITCHBOARD_PROVIDER_ENV here too.
import { readFileSync } from 'node:fs';
import { changeConsent } from '../services/consent.ts';
import { loadConfig } from '../config.ts';
import { openStore } from '../store/open-store.ts';
import { upsertProvider, type ProviderInput } from '../services/providers.ts';
import { upsertNumber, type NumberInput } from '../services/numbers.ts';
import { upsertCountryRule, type CountryRuleInput } from '../services/country-rules.ts';
import { upsertRelayRule, type RelayRuleInput } from '../services/relay-rules.ts';
import { presentNumber } from '../http/routes/v1/numbers.ts';
import { presentCountryRule } from '../http/routes/v1/country-rules.ts';
import { presentRule } from '../http/routes/v1/relay-rules.ts';
import { CLI_OPERATOR } from '../domain/actor.ts';
import { saveTemplate, type TemplateInput } from '../services/templates.ts';

interface OptOutInput { account_id?: string; number: string; sender?: string | null; topic?: string | null }


const SECTIONS = ['providers', 'numbers', 'country_rules', 'relay_rules', 'opt_outs', 'templates'];

export async function applyCommand(path: string | undefined): Promise<number> {
  if (!path) { console.error('usage: switchboard apply <file.json>'); return 2; }
  const doc = JSON.parse(readFileSync(path, 'utf8')) as {
    providers?: ProviderInput[]; numbers?: NumberInput[]; country_rules?: CountryRuleInput[]; relay_rules?: RelayRuleInput[]; opt_outs?: OptOutInput[];
    templates?: (TemplateInput & { account_id?: string })[];
  };
  const unknown = Object.keys(doc).filter((k) => !SECTIONS.includes(k));
  if (unknown.length) { console.error(`unknown sections in ${path}: ${unknown.join(', ')} (known: ${SECTIONS.join(', ')})`); return 2; }
  const config = loadConfig();
  const store = await openStore(config);
  try {
    for (const p of doc.providers ?? []) {
      await upsertProvider(store, CLI_OPERATOR, p, { providerEnv: config.providerEnv });
      console.log(`provider ${p.id}: applied`);
    }
    for (const n of doc.numbers ?? []) {
      const row = await upsertNumber(store, CLI_OPERATOR, n);
      console.log(`number ${row.number}: applied`);
    }
    for (const r of doc.country_rules ?? []) {
      await upsertCountryRule(store, CLI_OPERATOR, r);
      console.log(`country rule ${r.country}: applied`);
    }
    for (const r of doc.relay_rules ?? []) {
      const row = await upsertRelayRule(store, CLI_OPERATOR, r);
      console.log(`relay rule ${row.number}: applied`);
    }
    for (const o of doc.opt_outs ?? []) {
      const r = await changeConsent(store, o.account_id ?? 'default', 'opt_out', o, 'apply');
      console.log(`opt-out ${r.number}${r.sender ? ` from ${r.sender}` : ''}${r.topic ? ` of ${r.topic}` : ''}: applied`);
    }
    for (const { account_id, ...t } of doc.templates ?? []) {
      const row = await saveTemplate(store, account_id ?? 'default', t);
      console.log(`template ${row.id}: version ${row.version}`);
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
    const relay_rules = (await store.listRelayRules()).map((r) => { const { created_at: _c, updated_at: _u, account_id, ...rest } = presentRule(r); return { ...rest, account_id }; });
    const opt_outs = (await store.listOptOuts(null))
      .sort((a, b) => a.account_id.localeCompare(b.account_id) || a.number.localeCompare(b.number) || a.sender.localeCompare(b.sender) || a.topic.localeCompare(b.topic))
      .map((o) => ({ account_id: o.account_id, number: o.number, sender: o.sender === '' ? null : o.sender, ...(o.topic ? { topic: o.topic } : {}) }));
    const templates = (await store.listTemplates(null)).map((t) => ({ account_id: t.account_id, id: t.id, body: t.body, variables: JSON.parse(t.variables) as string[], ...(t.locale ? { locale: t.locale } : {}) }));
    console.log(JSON.stringify({ providers, numbers, country_rules, relay_rules, opt_outs, templates }, null, 2));
    return 0;
  } finally {
    await store.close();
  }
}
