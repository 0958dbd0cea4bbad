// The `switchboard` command. In a checkout: `npm run switchboard -- <command>`.
import { AppError } from '../domain/errors.ts';
import { parseArgs } from 'node:util';
import { keysCommand } from './keys.ts';
import { applyCommand, exportCommand } from './apply.ts';
import { numbersCommand } from './numbers.ts';
import { pricesCommand } from './prices.ts';
import { auditCommand, cliActor } from './audit.ts';
import { consentCommand } from './consent.ts';
import { sendCommand } from './send.ts';
import { sandboxCommand } from './sandbox.ts';
import { actingAs } from '../domain/audit.ts';
import { ConfigError, describeConfig, loadConfig, type Role } from '../config.ts';

const HELP = `switchboard — self-hosted SMS gateway

Usage:
  switchboard serve [--role all|api|worker] [--region NAME]…
                                                run the server and/or workers (--region: the
                                                workers work in these regions only)
  switchboard migrate                           apply database migrations and exit
  switchboard keys create <name> [--account ID] [--scopes send,read,admin,operator]
  switchboard keys list [--account ID]
  switchboard keys revoke <key id>
  switchboard numbers add <number> --provider ID [--type T] [--rate N] [--pool P] [--country CC]
  switchboard numbers list | remove <number>    the sender pool routing chooses from
  switchboard prices import <provider> <file.csv> [--dry-run]
                                                a price list (price, and mcc+mnc, prefix or country) into a provider's prices
  switchboard apply <file.json>                 upsert the records in the file (providers, numbers, country_rules)
  switchboard export                            print the records in the format apply reads
  switchboard webhooks replay [--since ISO-TIME] [--provider ID]
                                                re-process stored raw webhooks (idempotent)
  switchboard backup <file>                     an online copy of the SQLite database (PostgreSQL: pg_dump)
  switchboard drill [--provider ID] [--to +NUMBER] [--url URL]
                                                a failover drill on the running server (operator key:
                                                SWITCHBOARD_ADMIN_KEY or SWITCHBOARD_KEY)
  switchboard config                            print the effective configuration (secrets masked)
  switchboard send --csv FILE (--template ID | --body TEXT) [--dry-run] [--no-wait] [--url URL]
                                                a bulk send from a file through the running server, with progress;
                                                run it again after an interruption: nothing is sent twice
  switchboard sandbox twilio|vonage|sinch|aws|smpp [--port N] [--behaviour file.json] [--inbound-url URL]
                                                a provider-shaped server for your CI, with a control API (/_sandbox/)
  switchboard consent import <file.csv> [--account ID] [--dry-run]
                                                opt-outs and opt-ins from another system (number, action?, sender?, topic?)
  switchboard audit verify [--json] [--region NAME]
                                                check the audit log's hash chains (exit 1 when broken)
  switchboard audit list [--object KIND] [--id ID] [--account ID] [--limit N] [--region NAME]
  switchboard regions                           what each region's store holds, by country (data residency)

Configuration comes from the environment (see README).`;

export async function run(argv: string[]): Promise<number> {
  // Every change a command makes is the OS user's (the audit log); the server's are its requests'.
  return argv[0] === 'serve' ? dispatch(argv) : actingAs(cliActor(argv[0] ?? 'help'), () => dispatch(argv));
}

async function dispatch(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve': {
        const { values } = parseArgs({ args: rest, options: { role: { type: 'string' }, region: { type: 'string', multiple: true } } });
        const { serve } = await import('../main.ts');
        await serve({ role: values.role as Role | undefined, regions: values.region?.flatMap((r) => r.split(',')) });
        return -1; // keeps running
      }
      case 'migrate': {
        const { openStore } = await import('../store/open-store.ts');
        const store = await openStore(loadConfig());
        await store.close();
        console.log(`migrated (${store.dialect})`);
        return 0;
      }
      case 'keys':
        return await keysCommand(rest);
      case 'numbers':
        return await numbersCommand(rest);
      case 'prices':
        return await pricesCommand(rest);
      case 'apply':
        return await applyCommand(rest[0]);
      case 'export':
        return await exportCommand();
      case 'webhooks': {
        const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { since: { type: 'string' }, provider: { type: 'string' } } });
        if (positionals[0] !== 'replay') { console.error('usage: switchboard webhooks replay [--since ISO-TIME] [--provider ID]'); return 2; }
        const since = values.since ? Date.parse(values.since) : undefined;
        if (since !== undefined && Number.isNaN(since)) { console.error(`--since ${values.since} is not an ISO-8601 time`); return 2; }
        const { createApp } = await import('../app.ts');
        const { createLogger } = await import('../log.ts');
        const config = loadConfig(process.env, { role: 'worker' });
        const app = await createApp(config, { logger: createLogger('warn') });
        const { replayWebhooks } = await import('../webhooks/replay.ts');
        await app.ctx.router.refresh();
        const n = await replayWebhooks(app.ctx.store, app.processor!, { since, providerId: values.provider });
        await app.stop();
        console.log(`replayed ${n} webhooks`);
        return 0;
      }
      case 'backup': {
        if (!rest[0]) { console.error('usage: switchboard backup <file>'); return 2; }
        const { openStore } = await import('../store/open-store.ts');
        const store = await openStore(loadConfig());
        try {
          if (!store.backup) { console.error('switchboard: this database has no online backup here; use pg_dump (see README, Scaling out)'); return 2; }
          await store.backup(rest[0]);
          console.log(`backed up to ${rest[0]}`);
          return 0;
        } finally {
          await store.close();
        }
      }
      case 'audit':
        return await auditCommand(rest);
      case 'regions':
        return await (await import('./regions.ts')).regionsCommand();
      case 'consent':
        return await consentCommand(rest);
      case 'send':
        return await sendCommand(rest);
      case 'sandbox':
        return await sandboxCommand(rest);
      case 'config':
        console.log(JSON.stringify(describeConfig(loadConfig()), null, 2));
        return 0;
      case 'drill': {
        // Runs on the server, which sends the test message: POST /v1/drills with an operator key.
        const { values } = parseArgs({ args: rest, options: { provider: { type: 'string' }, to: { type: 'string' }, url: { type: 'string' } } });
        const config = loadConfig();
        const key = process.env.SWITCHBOARD_KEY || config.adminKey;
        if (!key) { console.error('switchboard: set SWITCHBOARD_KEY (an operator key) or SWITCHBOARD_ADMIN_KEY'); return 2; }
        const url = values.url ?? `http://127.0.0.1:${config.port}`;
        const res = await fetch(`${url}/v1/drills`, {
          method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ ...(values.provider ? { provider: values.provider } : {}), ...(values.to ? { to: values.to } : {}) }),
        });
        const body = await res.json() as { passed?: boolean; error?: { message: string } };
        if (!res.ok) { console.error(`switchboard: ${body.error?.message ?? res.status}`); return 2; }
        console.log(JSON.stringify(body, null, 2));
        return body.passed ? 0 : 1;
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(HELP);
        return 0;
      default:
        console.error(`unknown command ${JSON.stringify(command)}\n\n${HELP}`);
        return 2;
    }
  } catch (err) {
    // Bad input (any client error of the catalog): exit 2, as for a usage error.
    if (err instanceof AppError && err.status < 500) {
      console.error(`switchboard: ${(err as Error).message}`);
      return 2;
    }
    if (err instanceof ConfigError || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || (err as Error).name === 'UsageError') {
      console.error(`switchboard: ${(err as Error).message}`);
      return 2;
    }
    console.error(`switchboard: ${(err as Error).message}`);
    return 1;
  }
}

if (import.meta.main) {
  const code = await run(process.argv.slice(2));
  if (code >= 0) process.exit(code);
}
