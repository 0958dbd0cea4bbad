// Which environment variables a provider record may name for its credentials. A record
// is data anyone with the right key can write, so the names it may point at are
// allow-listed (SWITCHBOARD_PROVIDER_ENV: exact names, or prefixes ending in `_` or `*`),
// and Switchboard's own settings (its admin key, webhook secret, database and Redis
// URLs, …) are never readable through one, whatever the allow-list says.
import { CONFIG_ENV_NAMES } from '../config.ts';

const ALWAYS_REFUSED_PREFIXES = ['SWITCHBOARD_', 'PG', 'NODE_', 'npm_'];
const ALWAYS_REFUSED = new Set(['DATABASE_URL', 'REDIS_URL', 'TEST_DATABASE_URL', 'TEST_REDIS_URL', 'PATH', 'HOME']);

export function envNameAllowed(name: string, allowlist: readonly string[]): boolean {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(name)) return false;
  if (CONFIG_ENV_NAMES.has(name) || ALWAYS_REFUSED.has(name) || ALWAYS_REFUSED_PREFIXES.some((p) => name.startsWith(p))) return false;
  return allowlist.some((entry) => {
    if (entry.endsWith('*')) return name.startsWith(entry.slice(0, -1));
    if (entry.endsWith('_')) return name.startsWith(entry) && name.length > entry.length;
    return name === entry;
  });
}

/** The config keys of a provider record that name a credential variable (`…_env`), with the names. */
export function credentialRefs(config: Record<string, unknown>): [key: string, value: unknown][] {
  return Object.entries(config).filter(([k]) => k.endsWith('_env'));
}
