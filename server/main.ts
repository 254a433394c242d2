import cluster from 'node:cluster';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { ConfigError, loadConfig } from './config';
import { PluginError } from './plugins/loader';
import { createPortal } from './portal';
import { runPrimary, WORKER_ENV } from './workers';

const started = performance.now();

async function main() {
  const config = loadConfig();
  if (config.workers > 1 && cluster.isPrimary) return runPrimary(config.workers, pino({ level: config.logLevel }));
  const portal = await createPortal(config, { setupCode: process.env[WORKER_ENV.setupCode] });
  const { app, logger } = portal;
  const server = app.listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const { port } = server.address() as AddressInfo;
  const url = `http://localhost:${port}`;
  logger.info({ port, database: config.database.client, env: config.env, ms: Math.round(performance.now() - started), ...(cluster.isWorker ? { worker: cluster.worker!.id } : {}) }, 'portal listening');
  // One banner per `npm start`: a worker prints it only when the primary asks the first one to.
  const printBanner = cluster.isPrimary || process.env[WORKER_ENV.banner] === '1';
  const banner = [`  Portal: ${url}${portal.setupCode ? '/setup  (first run: create the company and its administrator)' : '/login'}`];
  if (portal.setupCode) {
    logger.info('first run: /setup asks for the one-time setup code shown on the console');
    banner.push(`  Setup code: ${portal.setupCode}  (asked for by ${url}/setup; each start makes a new one until setup is done)`);
  }
  if (config.env !== 'production') {
    logger.warn({ env: config.env }, 'NODE_ENV is not production: not for a production deployment');
    banner.push(
      `  WARNING: running with NODE_ENV=${config.env}. This is the developer's quick start: error pages show`,
      '  internals, cookies are not Secure, no HSTS. A production deployment must set NODE_ENV=production and SESSION_SECRET.',
    );
  }
  if (config.env === 'development' && !config.mail.smtpUrl) {
    banner.push(`  E-mail: no SMTP_URL, so messages stay in the outbox: read them at ${url}/dev/mail (their links are printed here too)`);
  }
  if (printBanner) console.log(`\n${banner.join('\n')}\n`);
  portal.mailWorker.start();
  // Import jobs a stopped process left half done resume here, from their last committed batch.
  portal.importRunner.start();

  // SIGTERM: stop accepting, let in-flight requests finish, then close the pool.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    // Import jobs stop between two batches now, not after the last request: the claim is let go sooner.
    const importsStopped = portal.importRunner.stop();
    // The mail worker finishes the message it is sending and claims no other: the rest wait in the outbox.
    const mailStopped = portal.mailWorker.stop();
    server.close(async () => {
      await mailStopped;
      await importsStopped;
      await portal.close();
      logger.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 15_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // A worker whose primary is gone (killed) must not keep the port.
  if (cluster.isWorker) process.on('disconnect', () => stop('primary gone'));
}

main().catch((err) => {
  if (err instanceof ConfigError || err instanceof PluginError) {
    console.error(err.message);
  } else {
    console.error(err);
  }
  process.exit(1);
});
