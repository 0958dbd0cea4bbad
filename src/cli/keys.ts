// switchboard keys create|list|revoke — works directly on the store, so the first key
// can be made before any server runs.
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { openStore } from '../store/open-store.ts';
import { createKey, createSmppCredentials } from '../auth/auth.ts';
import type { Scope } from '../store/store.ts';

class UsageError extends Error { override name = 'UsageError'; }

export async function keysCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest, allowPositionals: true,
    options: { account: { type: 'string' }, scopes: { type: 'string' }, json: { type: 'boolean' }, smpp: { type: 'boolean' } },
  });
  const store = await openStore(loadConfig());
  try {
    switch (sub) {
      case 'create': {
        const name = positionals[0];
        if (!name) throw new UsageError('usage: switchboard keys create <name> [--account ID] [--scopes send,read,admin,operator] [--smpp]');
        const scopes = values.scopes ? (values.scopes.split(',').map((s) => s.trim()) as Scope[]) : undefined;
        const { key, secret } = await createKey(store, { name, accountId: values.account, scopes });
        // --smpp: the same key also binds to Switchboard's SMPP server (SWITCHBOARD_SMPP_PORT).
        const smpp = values.smpp ? await createSmppCredentials(store, key) : null;
        if (values.json) {
          console.log(JSON.stringify({ id: key.id, name: key.name, account_id: key.account_id, scopes: key.scopes.split(','), secret, webhook_secret: key.webhook_secret, ...(smpp ? { smpp: { system_id: smpp.systemId, password: smpp.password } } : {}) }));
        } else {
          console.log(`created ${key.id} (${key.name}) for account ${key.account_id} with scopes ${key.scopes}\nsecret: ${secret}\nwebhook secret (verifies this key's callbacks): ${key.webhook_secret}`);
          if (smpp) console.log(`SMPP system_id: ${smpp.systemId}\nSMPP password: ${smpp.password}`);
          console.log('The secrets are shown only now; store them safely.');
        }
        return 0;
      }
      case 'list': {
        const keys = await store.listApiKeys(values.account);
        if (values.json) { console.log(JSON.stringify(keys.map(({ hash: _h, smpp_password_hash: _p, ...k }) => k))); return 0; }
        for (const k of keys) {
          console.log([k.id, k.account_id, k.name, k.scopes, `${k.prefix}…`, k.revoked_at ? `revoked ${new Date(k.revoked_at).toISOString()}` : 'active'].join('\t'));
        }
        return 0;
      }
      case 'revoke': {
        const id = positionals[0];
        if (!id) throw new UsageError('usage: switchboard keys revoke <key id>');
        if (!(await store.revokeApiKey(id, Date.now()))) { console.error(`no active key ${id}`); return 1; }
        console.log(`revoked ${id}`);
        return 0;
      }
      default:
        throw new UsageError('usage: switchboard keys create|list|revoke …');
    }
  } finally {
    await store.close();
  }
}
