// What every HTTP provider sandbox shares: an HTTP server on a loopback port (or the
// address given), requests it holds without answering (a hanging provider), timers for
// callbacks it will post later, all released by stop(); its scripted behaviour
// (script.ts) and its control API under /_sandbox/ (control.ts).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { control, type InboundText, type Sandboxed, type SandboxMessage } from './control.ts';
import type { Script } from './script.ts';

export abstract class LoopbackFake implements Sandboxed {
  url = '';
  script: Script | null = null;
  /** where inbound texts go when a control request names no url */
  inboundUrl = '';
  protected readonly server: Server;
  protected readonly hanging = new Set<ServerResponse>();
  protected readonly timers = new Set<NodeJS.Timeout>();

  constructor() {
    this.server = createServer((req, res) => { void control(this, req, res).then((done) => (done ? undefined : this.handle(req, res))); });
  }

  protected abstract handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  abstract sent(): SandboxMessage[];
  /** Delivers a customer's text as the provider delivers inbound: a webhook to `url`. */
  protected abstract deliverInbound(url: string, p: InboundText): Promise<{ status: number }>;

  /** A customer's text, to the url the request names or the sandbox's inbound URL. */
  async inbound(p: InboundText): Promise<{ status: number }> {
    const url = p.url || this.inboundUrl;
    if (!url) throw new Error('no url: name the webhook URL Switchboard gave this provider (url), or start the sandbox with --inbound-url');
    return this.deliverInbound(url, p);
  }
  abstract reset(): void;

  /** Listens on a free port, or on `port` again after stop() (a provider whose port was closed comes back). */
  async start(port = 0, host = '127.0.0.1'): Promise<this> {
    await new Promise<void>((r) => this.server.listen(port, host, r));
    this.url = `http://${host.includes(':') ? `[${host}]` : host}:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** The scripted latency, then the answer (script.ts). */
  protected async scriptedDelay(): Promise<void> {
    const ms = this.script?.latencyMs() ?? 0;
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    for (const r of this.hanging) r.destroy();
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  /** Runs `fn` after `ms`, unless the fake stops first. */
  protected later(ms: number, fn: () => Promise<void>): void {
    const t = setTimeout(() => { this.timers.delete(t); void fn(); }, ms);
    this.timers.add(t);
  }

  /** Reads a request's body. */
  protected async body(req: IncomingMessage): Promise<string> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    return raw;
  }
}
