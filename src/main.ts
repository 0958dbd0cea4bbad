// Process entry for `switchboard serve`: loads the config, starts the app and stops it
// gracefully on SIGTERM/SIGINT (stop claiming, finish in-flight sends, flush, exit).
import { loadConfig, describeConfig, type Role } from './config.ts';
import { createApp } from './app.ts';
import { createLogger } from './log.ts';

export async function serve(opts: { role?: Role; regions?: string[] } = {}): Promise<void> {
  const config = loadConfig(process.env, { ...(opts.role ? { role: opts.role } : {}), ...(opts.regions?.length ? { workerRegions: opts.regions } : {}) });
  const logger = createLogger(config.logLevel);
  logger.info({ config: describeConfig(config) }, 'configuration');
  const app = await createApp(config, { logger, defaultMetrics: true });
  await app.start();
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // app.stop() keeps to SWITCHBOARD_SHUTDOWN_TIMEOUT_MS; this is the backstop if a
    // close hangs (a store that stopped answering).
    const force = setTimeout(() => { logger.error('shutdown took too long; exiting'); process.exit(1); }, config.shutdownTimeoutMs + 5_000);
    force.unref();
    try { await app.stop(); } catch (err) { logger.error({ err }, 'error while stopping'); process.exitCode = 1; }
    logger.info('stopped');
    logger.flush();
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

if (import.meta.main) {
  const roleArg = process.argv.indexOf('--role');
  await serve({ role: roleArg > 0 ? (process.argv[roleArg + 1] as Role) : undefined });
}
