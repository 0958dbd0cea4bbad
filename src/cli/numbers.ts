// switchboard numbers add|list|remove: the sender pool from the command line (the same
// validation as POST /v1/numbers). Running servers pick changes up within a second (services/config-watch.ts).
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { openStore } from '../store/open-store.ts';
import { presentNumber } from '../http/routes/v1/numbers.ts';
import { deactivateNumber, upsertNumber } from '../services/numbers.ts';
import { CLI_OPERATOR } from '../domain/actor.ts';
import type { NumberType, Store } from '../store/store.ts';
import type { Config } from '../config.ts';
import { ProviderRegistry } from '../providers/registry.ts';
import { createLogger } from '../log.ts';
import { buyNumber, searchNumbers, syncNumbers } from '../services/provisioning.ts';

/** The provider adapters, built from the records (no sessions are opened). */
async function providers(store: Store, config: Config): Promise<ProviderRegistry> {
  const r = new ProviderRegistry({ store, config, logger: createLogger('error'), emitWebhook: async () => {}, sessions: false });
  await r.refresh();
  return r;
}

const USAGE = `usage: switchboard numbers add <number> --provider ID [--type longcode|shortcode|tollfree|alphanumeric] [--country CC] [--rate N] [--pool default|masking] [--account ID] [--capabilities sms,international]
       switchboard numbers list
       switchboard numbers remove <number>
       switchboard numbers search --provider ID --country CC [--area-code N] [--sms] [--voice]
       switchboard numbers buy <number> --provider ID     (webhooks pointed at PUBLIC_URL; added to the pool)
       switchboard numbers sync [--fix]                    (every pool number's webhooks at its provider)`;

export async function numbersCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: {
      provider: { type: 'string' }, type: { type: 'string' }, country: { type: 'string' }, rate: { type: 'string' },
      pool: { type: 'string' }, account: { type: 'string' }, capabilities: { type: 'string' },
      'area-code': { type: 'string' }, sms: { type: 'boolean' }, voice: { type: 'boolean' }, fix: { type: 'boolean' },
    },
  });
  const [sub, number] = positionals;
  const noNumber = sub === 'list' || sub === 'search' || sub === 'sync';
  if (!sub || (!noNumber && !number) || ((sub === 'add' || sub === 'buy' || sub === 'search') && !values.provider)) { console.error(USAGE); return 2; }
  const config = loadConfig();
  const store = await openStore(config);
  const registry = () => providers(store, config);
  try {
    if (sub === 'search') {
      if (!values.country) { console.error(USAGE); return 2; }
      const r = await registry();
      try {
        for (const n of await searchNumbers(r, CLI_OPERATOR, values.provider!, { country: values.country, areaCode: values['area-code'], sms: values.sms, voice: values.voice })) {
          console.log([n.number, n.capabilities.join(','), n.locality ?? '', n.region ?? ''].join('\t'));
        }
      } finally { await r.close(); }
      return 0;
    }
    if (sub === 'buy') {
      const r = await registry();
      try {
        const row = await buyNumber(store, r, config.publicUrl, CLI_OPERATOR, values.provider!, number);
        console.log(JSON.stringify(presentNumber(row)));
      } finally { await r.close(); }
      return 0;
    }
    if (sub === 'sync') {
      const r = await registry();
      try {
        const { checked, drift } = await syncNumbers(store, r, config.publicUrl, CLI_OPERATOR, values.fix === true);
        for (const d of drift) console.log(`${d.number} (${d.provider}): ${d.problem}${d.fixed ? ' — fixed' : ''}`);
        console.log(`${checked} numbers checked, ${drift.length} drifted${values.fix ? `, ${drift.filter((d) => d.fixed).length} fixed` : ''}`);
        return drift.some((d) => !d.fixed) ? 1 : 0;
      } finally { await r.close(); }
    }
    if (sub === 'list') {
      for (const n of await store.listNumbers()) {
        console.log([n.number, n.provider_id, n.type, n.country ?? '-', `${n.rate_per_second}/s`, n.pool, n.account_id, n.active ? 'active' : 'inactive'].join('\t'));
      }
      return 0;
    }
    if (sub === 'add') {
      const rate = values.rate === undefined ? undefined : Number(values.rate);
      if (rate !== undefined && !(rate > 0)) { console.error(`--rate must be a positive number, got ${values.rate}`); return 2; }
      const row = await upsertNumber(store, CLI_OPERATOR, {
        number, provider_id: values.provider!, type: values.type as NumberType | undefined, country: values.country, rate_per_second: rate,
        pool: values.pool, account_id: values.account, capabilities: values.capabilities?.split(',').map((c) => c.trim()),
      });
      console.log(JSON.stringify(presentNumber(row)));
      return 0;
    }
    if (sub === 'remove') {
      if (!(await store.listNumbers()).some((n) => n.number === number)) { console.error(`no number ${number}`); return 1; }
      await deactivateNumber(store, CLI_OPERATOR, number);
      console.log(`${number}: deactivated`);
      return 0;
    }
    console.error(USAGE);
    return 2;
  } finally {
    await store.close();
  }
}
