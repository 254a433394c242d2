import pino, { type Logger } from 'pino';
import { createApp } from './app';
import type { Config } from './config';
import { createDb } from './db/knex';
import { coreMigrations, migrateLatest } from './db/migrations';
import { createI18n } from './i18n';
import { MailWorker } from './mail/mail.worker';
import { loadRegistry } from './plugins/loader';
import { createServices } from './services';
import { firstRunSetupCode } from './setup/setup-code';

/**
 * In development the console is for a person: one short coloured line per request (pino-pretty),
 * so the setup code and mail links stay visible. Production keeps one JSON object per line.
 * pino-pretty runs in a worker thread, which would inherit `--import tsx` and start TypeScript's
 * loader (and its own loader thread) for plain JavaScript: `execArgv: []` spares every start that.
 */
const DEVELOPMENT_CONSOLE = {
  transport: { target: 'pino-pretty', options: { singleLine: true, translateTime: 'HH:MM:ss', ignore: 'pid,hostname,req,res,responseTime,reqId' }, worker: { execArgv: [] } },
};

/** Everything a running portal needs: config → plugins → db → migrations → i18n → app. */
export async function createPortal(config: Config, options: { logger?: Logger; builtInPluginsDir?: string; setupCode?: string } = {}) {
  const logger = options.logger ?? pino({ level: config.logLevel, ...(config.env === 'development' ? DEVELOPMENT_CONSOLE : {}) });
  const registry = await loadRegistry({ builtInDir: options.builtInPluginsDir, extra: config.extraPlugins, disabled: config.disabledPlugins });
  const db = createDb(config.database);
  try {
    await migrateLatest(db, [coreMigrations, ...registry.migrationSets()]);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  const i18n = await createI18n(registry.catalogs);
  const setupCode = await firstRunSetupCode(db, options.setupCode);
  const services = createServices({ config, db, registry, i18n, setupCode, logger });
  const app = createApp({ config, db, registry, i18n, logger, setupCode, services });
  // Built here, started only by server/main.ts: tests and tools run it once when they need to.
  const mailWorker = new MailWorker(db, logger, {
    smtpUrl: config.mail.smtpUrl,
    from: config.mail.from,
    retentionDays: config.mail.retentionDays,
    jobs: services.mailJobs,
    printLinks: config.env === 'development' && !config.mail.smtpUrl,
  });
  return { app, db, registry, i18n, logger, setupCode, mailWorker, services, importRunner: services.importRunner, close: async () => {
    await services.importRunner.stop();
    await db.destroy();
  } };
}
