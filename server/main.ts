import type { AddressInfo } from 'node:net';
import { ConfigError, loadConfig } from './config';
import { PluginError } from './plugins/loader';
import { createPortal } from './portal';
import { SetupService } from './setup/setup.service';
import { AuditService } from './audit/audit.service';

const started = performance.now();

async function main() {
  const config = loadConfig();
  const portal = await createPortal(config);
  const { app, db, logger } = portal;
  const server = app.listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const { port } = server.address() as AddressInfo;
  const url = `http://localhost:${port}`;
  const needsSetup = await new SetupService(db, new AuditService()).isNeeded();
  logger.info({ port, database: config.database.client, ms: Math.round(performance.now() - started) }, 'portal listening');
  console.log(`\n  Portal: ${url}${needsSetup ? '/setup  (first run: create the company and its administrator)' : '/login'}\n`);

  // SIGTERM: stop accepting, let in-flight requests finish, then close the pool.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    server.close(async () => {
      await portal.close();
      logger.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 15_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err) => {
  if (err instanceof ConfigError || err instanceof PluginError) {
    console.error(err.message);
  } else {
    console.error(err);
  }
  process.exit(1);
});
