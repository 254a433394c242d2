import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { newSetupCode } from './setup/setup-code';

/** Set by the primary for its workers; not part of the operator's configuration. */
export const WORKER_ENV = { setupCode: 'PORTAL_SETUP_CODE', banner: 'PORTAL_PRINT_BANNER' } as const;

const RESPAWN_DELAY_MS = 1000;
const STOP_GRACE_MS = 20_000;

/**
 * The primary of `WEB_CONCURRENCY=n npm start`: forks n workers that share the port (node:cluster
 * hands connections out round-robin), one after the other so that only the first runs the
 * migrations and writes a development session secret; forks a new worker for one that dies; on
 * SIGTERM/SIGINT asks every worker to drain and exits when they all have. It opens no database.
 */
export function runPrimary(workers: number, logger: Logger): void {
  const env = { [WORKER_ENV.setupCode]: newSetupCode() };
  let stopping = false;
  let started = 0;
  let failures = 0;

  const fork = (first: boolean): Worker => {
    const worker = cluster.fork({ ...env, ...(first ? { [WORKER_ENV.banner]: '1' } : {}) });
    worker.once('listening', () => {
      failures = 0;
      if (started < workers) {
        started++;
        if (started < workers) fork(false);
        else logger.info({ workers }, 'all workers listening');
      }
    });
    return worker;
  };

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        logger.info('stopped');
        process.exit(0);
      }
      return;
    }
    // A worker that cannot even start (bad configuration, migrations failing) would fail again.
    if (started < workers) {
      logger.error({ pid: worker.process.pid, code, signal }, 'a worker failed to start: stopping');
      stopping = true;
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
      setTimeout(() => process.exit(1), 100).unref();
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(1);
      return;
    }
    failures++;
    logger.error({ pid: worker.process.pid, code, signal }, 'worker died: starting another');
    setTimeout(() => { if (!stopping) fork(false); }, Math.min(RESPAWN_DELAY_MS * failures, 10_000));
  });

  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping workers');
    const alive = Object.values(cluster.workers ?? {});
    if (alive.length === 0) process.exit(0);
    for (const w of alive) w?.process.kill('SIGTERM');
    setTimeout(() => {
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
      process.exit(1);
    }, STOP_GRACE_MS).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  fork(true);
}
