// switchboard sandbox twilio|vonage|sinch|aws|smpp: a provider-shaped server for your CI
// (src/sandbox/): it speaks that provider's wire protocol, with scripted behaviour
// (--behaviour file.json, or POST /_sandbox/behaviour) and a control API. Prints the
// provider record and the environment to give Switchboard, then runs until stopped.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { parseBehaviour, Script } from '../sandbox/script.ts';
import { SANDBOX_KINDS, startSandbox, type SandboxKind } from '../sandbox/run.ts';

const USAGE = `usage: switchboard sandbox ${SANDBOX_KINDS.join('|')} [--port N] [--host H] [--behaviour file.json] [--inbound-url URL]
       [--status-url URL] [--sns-trust-file F] (aws) [--control-port N] (smpp)`;

export async function sandboxCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: {
      port: { type: 'string' }, host: { type: 'string' }, behaviour: { type: 'string' }, 'inbound-url': { type: 'string' }, 'status-url': { type: 'string' },
      'sns-trust-file': { type: 'string' }, 'control-port': { type: 'string' },
    },
  });
  const kind = positionals[0] as SandboxKind;
  if (!SANDBOX_KINDS.includes(kind)) { console.error(USAGE); return 2; }
  let script: Script | null = null;
  if (values.behaviour) {
    try { script = new Script(parseBehaviour(JSON.parse(readFileSync(values.behaviour, 'utf8')))); } catch (err) { console.error(`switchboard: ${values.behaviour}: ${(err as Error).message}`); return 2; }
  }
  const s = await startSandbox(kind, {
    port: values.port ? Number(values.port) : undefined, host: values.host, script, inboundUrl: values['inbound-url'], statusUrl: values['status-url'],
    snsTrustFile: values['sns-trust-file'], controlPort: values['control-port'] ? Number(values['control-port']) : undefined,
  });
  console.log(JSON.stringify({
    sandbox: kind, url: s.url, control: `${s.controlUrl}/_sandbox/`, provider: s.provider, env: s.env,
    ...(values['sns-trust-file'] ? { switchboard_env: { SWITCHBOARD_SNS_TRUST: values['sns-trust-file'] } } : {}),
    behaviour: script?.behaviour ?? {},
  }, null, 2));
  console.error(`${kind} sandbox on ${s.url}; control API ${s.controlUrl}/_sandbox/ (messages, inbound, behaviour, reset). Ctrl-C stops it.`);
  await new Promise<void>((resolve) => { process.once('SIGINT', resolve); process.once('SIGTERM', resolve); });
  await s.stop();
  return 0;
}
