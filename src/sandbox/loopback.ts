// What every provider fake shares: an HTTP server on a free loopback port, requests it
// holds without answering (a hanging provider), and timers for callbacks it will post
// later, all released by stop().
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export abstract class LoopbackFake {
  url = '';
  protected readonly server: Server;
  protected readonly hanging = new Set<ServerResponse>();
  protected readonly timers = new Set<NodeJS.Timeout>();

  constructor() { this.server = createServer((req, res) => { void this.handle(req, res); }); }

  protected abstract handle(req: IncomingMessage, res: ServerResponse): Promise<void>;

  /** Listens on a free port, or on `port` again after stop() (a provider whose port was closed comes back). */
  async start(port = 0): Promise<this> {
    await new Promise<void>((r) => this.server.listen(port, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
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
