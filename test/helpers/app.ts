// Boots a real Switchboard on a free loopback port, with its own SQLite file (or a given
// store), the built-in simulator (on whatever the store: SWITCHBOARD_SIMULATOR=on) and a known admin key; talks to it over real HTTP.
import { createApp, type App } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from './stores.ts';

export const ADMIN_KEY = 'test-admin-key-not-a-secret';
export const TEST_WEBHOOK_SECRET = `whsec_${Buffer.from('test-webhook-secret-not-real').toString('base64')}`;

export interface TestApp {
  app: App;
  url: string;
  config: Config;
  dataDir: string;
  ctx(): App['ctx'];
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  stop(): Promise<void>;
}

export async function startApp(overrides: Partial<Record<keyof Config, unknown>> = {}, opts: { store?: Store } = {}): Promise<TestApp> {
  const dir = tempDir();
  const config = loadConfig({}, {
    port: 0, host: '127.0.0.1', dataDir: dir.path, adminKey: ADMIN_KEY, logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
    simulator: 'on', simulatorLatencyMs: 5, pollMs: 50, backoffBaseMs: 20, backoffMaxMs: 200, webhookSecret: TEST_WEBHOOK_SECRET, shutdownDrainMs: 0,
    ...overrides,
  });
  const app = await createApp(config, { logger: createLogger(config.logLevel), store: opts.store });
  await app.start();
  const url = app.url;
  return {
    app, url, config, dataDir: dir.path,
    ctx: () => app.ctx,
    async call(method, path, body, headers = {}) {
      const res = await fetch(url + path, {
        method,
        headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try { parsed = JSON.parse(text); } catch { /* metrics and docs are not JSON */ }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async stop() { await app.stop(); dir.remove(); },
  };
}

/** Polls until `check` returns a truthy value or the time runs out. */
/**
 * Waits until what the app was going to do has been done: every stored webhook applied,
 * nothing queued or being sent. Assert an absence (nothing forwarded, nothing sent twice)
 * after this, never after a sleep, which a slow machine can outlast.
 */
export async function settled(t: TestApp, ms = 10_000): Promise<void> {
  await eventually(async () => {
    const store = t.app.ctx.store;
    const now = Date.now();
    const [backlog, queue] = await Promise.all([store.webhookBacklog(now), store.queueStats(now)]);
    return backlog.count === 0 && (queue.byStatus.queued ?? 0) === 0 && (queue.byStatus.sending ?? 0) === 0;
  }, ms, 'every webhook applied and nothing queued or being sent');
}

export async function eventually<T>(check: () => Promise<T | undefined | null | false>, ms = 10_000, what = 'condition'): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
