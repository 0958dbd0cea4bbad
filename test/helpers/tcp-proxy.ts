// A loopback TCP proxy a test can cut and restore: Redis (or any server) becoming
// unreachable and coming back, without touching the real server other tests share.
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export class TcpProxy {
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<Socket>();
  #server: Server | null = null;
  #cut = false;
  port = 0;

  constructor(targetUrl: string) {
    const u = new URL(targetUrl);
    this.#target = { host: u.hostname, port: Number(u.port) };
  }

  /** the target's URL with the proxy's address */
  url(targetUrl: string): string {
    const u = new URL(targetUrl);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString().replace(/\/$/, '');
  }

  async start(): Promise<this> {
    this.#server = createServer((client) => {
      if (this.#cut) { client.destroy(); return; }
      const upstream = connect(this.#target);
      for (const s of [client, upstream]) { this.#sockets.add(s); s.on('close', () => this.#sockets.delete(s)); s.on('error', () => {}); }
      client.on('data', (chunk: Buffer) => {
        const drop = this.#drop;
        if (drop && chunk.includes(drop.marker)) {
          this.#drop = null;
          // Before: the server never sees it. After: it does, and its answer is lost.
          if (drop.when === 'after') {
            upstream.unpipe(client);
            upstream.write(chunk, () => setTimeout(() => { client.destroy(); upstream.destroy(); drop.done(); }, 50));
          }
          else { client.destroy(); upstream.destroy(); drop.done(); }
          return;
        }
        upstream.write(chunk);
      });
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((r) => this.#server!.listen(0, '127.0.0.1', r));
    this.port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  /** Every connection is dropped, and new ones are refused, until restore(). */
  cut(): void {
    this.#cut = true;
    for (const s of this.#sockets) s.destroy();
  }

  restore(): void { this.#cut = false; }

  #drop: { marker: Buffer; when: 'before' | 'after'; done: () => void } | null = null;

  /**
   * The next client chunk holding `marker` (a query's text, such as COMMIT) drops that
   * connection: `before` it reaches the server, or `after` the server got it but before
   * its answer comes back. Resolves once it has happened.
   */
  dropOn(marker: string, when: 'before' | 'after'): Promise<void> {
    return new Promise((done) => { this.#drop = { marker: Buffer.from(marker), when, done }; });
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise((r) => this.#server?.close(r));
  }
}
