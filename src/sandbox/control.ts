// A sandbox's control API, beside the provider's own (under /_sandbox/, on the same port;
// the SMPP sandbox serves it on a port of its own):
//   GET  /_sandbox/messages   the sends it accepted, oldest first: { data: [{ id, to, from, body, status, at }] }
//   POST /_sandbox/inbound    { from, to, text, url? }: a customer's text, delivered as the provider
//                             delivers inbound (a signed webhook to `url` or the sandbox's
//                             inbound URL; for SMPP, a deliver_sm to the bound session)
//   GET  /_sandbox/behaviour, POST /_sandbox/behaviour   the scripted behaviour (script.ts), read or replaced
//   POST /_sandbox/reset      forgets the sends it kept
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { parseBehaviour, Script } from './script.ts';

export interface SandboxMessage { id: string; to: string; from: string; body: string; status: string; at: string }
export interface InboundText { from: string; to: string; text: string; url?: string }

/** What a sandbox offers its control API. */
export interface Sandboxed {
  script: Script | null;
  sent(): SandboxMessage[];
  /** throws, saying why, when it cannot deliver (an HTTP sandbox given no url) */
  inbound(p: InboundText): Promise<{ status: number }>;
  reset(): void;
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let raw = '';
  for await (const c of req) raw += c;
  return raw ? JSON.parse(raw) : {};
}

/** Answers a control request; false when the path is not the control API's. */
export async function control(target: Sandboxed, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const path = new URL(req.url ?? '/', 'http://sandbox').pathname;
  if (!path.startsWith('/_sandbox/')) return false;
  try {
    if (req.method === 'GET' && path === '/_sandbox/messages') answer(res, 200, { data: target.sent() });
    else if (req.method === 'POST' && path === '/_sandbox/inbound') {
      const p = await readJson(req) as Partial<InboundText>;
      if (!p.from || !p.to || typeof p.text !== 'string') return answer(res, 400, { error: 'give from, to and text (and url, unless the sandbox was started with --inbound-url)' }), true;
      const r = await target.inbound({ from: p.from, to: p.to, text: p.text, ...(p.url ? { url: p.url } : {}) });
      answer(res, 200, { delivered: r.status < 300, status: r.status });
    } else if (path === '/_sandbox/behaviour' && req.method === 'GET') answer(res, 200, target.script?.behaviour ?? {});
    else if (path === '/_sandbox/behaviour' && req.method === 'POST') {
      target.script = new Script(parseBehaviour(await readJson(req)));
      answer(res, 200, target.script.behaviour);
    } else if (req.method === 'POST' && path === '/_sandbox/reset') { target.reset(); answer(res, 200, { reset: true }); }
    else answer(res, 404, { error: `no control route ${req.method} ${path}` });
  } catch (err) {
    answer(res, 400, { error: (err as Error).message });
  }
  return true;
}

/** The control API on a server of its own (a sandbox that speaks no HTTP: SMPP). */
export function controlServer(target: Sandboxed): Server {
  return createServer((req, res) => { void control(target, req, res).then((done) => { if (!done) answer(res, 404, { error: 'the control API is under /_sandbox/' }); }); });
}
