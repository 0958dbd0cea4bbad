// switchboard numbers add|list|remove: the sender pool from the command line (the same
// validation as POST /v1/numbers). Running servers pick changes up within 10 s.
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { openStore } from '../store/open-store.ts';
import { presentNumber } from '../http/routes/v1/numbers.ts';
import { deactivateNumber, upsertNumber } from '../services/numbers.ts';
import { CLI_OPERATOR } from '../domain/actor.ts';
import type { NumberType } from '../store/store.ts';

const USAGE = `usage: switchboard numbers add <number> --provider ID [--type longcode|shortcode|tollfree|alphanumeric] [--country CC] [--rate N] [--pool default|masking] [--account ID] [--capabilities sms,international]
       switchboard numbers list
       switchboard numbers remove <number>`;

export async function numbersCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: {
      provider: { type: 'string' }, type: { type: 'string' }, country: { type: 'string' }, rate: { type: 'string' },
      pool: { type: 'string' }, account: { type: 'string' }, capabilities: { type: 'string' },
    },
  });
  const [sub, number] = positionals;
  if (!sub || (sub !== 'list' && !number) || (sub === 'add' && !values.provider)) { console.error(USAGE); return 2; }
  const store = await openStore(loadConfig());
  try {
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
