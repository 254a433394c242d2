import path from 'node:path';
import ejs from 'ejs';
import express, { Router } from 'express';
import type { i18n } from 'i18next';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Config } from './config';
import { accountHomeRoutes, accountRoutes } from './accounts/accounts.routes';
import { authRoutes } from './auth/auth.routes';
import { healthRoutes } from './health/health.routes';
import { errorHandler, notFoundHandler } from './http/errors';
import { accountContext, requireLogin } from './http/guards';
import { viewLocals } from './http/locals';
import { precompileViews } from './http/views';
import { requestLogging } from './http/request-log';
import { createPassport } from './http/passport';
import { csrf, securityHeaders } from './http/security';
import { sessionMiddleware } from './http/session';
import { contactFormatters } from './contacts/format';
import { contactRoutes } from './contacts/contacts.routes';
import { meRoutes } from './me/me.routes';
import { groupRoutes, permissionRoutes } from './permissions/permissions.routes';
import type { Registry } from './plugins/registry';
import { createServices } from './services';
import { setupRoutes } from './setup/setup.routes';
import { pluginRoutes } from './plugins/mount';
import './http/types';

export interface AppDeps {
  config: Config;
  db: Knex;
  registry: Registry;
  i18n: i18n;
  logger: Logger;
}

const ROOT = path.resolve(import.meta.dirname, '..');

/** Builds the express app; no listening and no globals, so tests build as many as they need. */
export function createApp(deps: AppDeps) {
  const { config, db, registry, logger } = deps;
  const services = createServices(deps);
  const app = express();

  app.disable('x-powered-by');
  // Pages are personal and rebuilt on every request: hashing each 30 KB page for an ETag cost more
  // CPU than a list query, to spare bytes only on a reload. Static files keep their own ETags.
  app.set('etag', false);
  app.set('trust proxy', config.trustProxy);
  app.set('view engine', 'ejs');
  // The same EJS module instance (and cache) precompileViews fills: express would require() the
  // CommonJS build, a second instance beside the ESM one imported here.
  app.engine('ejs', ejs.renderFile);
  app.set('views', path.join(ROOT, 'views'));
  // Every view compiled once at start-up (see precompileViews): in every environment, so tests run
  // the templates exactly as production does. Editing a view needs a restart.
  const pluginViews = registry.plugins.flatMap((p) => (p.views ? [p.views] : []));
  precompileViews([path.join(ROOT, 'views'), ...pluginViews], path.join(ROOT, 'views'));
  app.enable('view cache');
  Object.assign(app.locals, contactFormatters);
  const labels = new Map(registry.permissions.map((p) => [p.key, p.label]));
  app.locals.permissionLabel = (key: string) => labels.get(key) ?? key;

  app.use(requestLogging(logger));
  app.use(securityHeaders(config));
  app.use('/public', express.static(path.join(ROOT, 'public'), { maxAge: config.env === 'production' ? '1d' : 0 }));
  app.get('/public/vendor/htmx.min.js', (_req, res) => res.sendFile(path.join(ROOT, 'node_modules/htmx.org/dist/htmx.min.js')));
  app.use(healthRoutes(db));

  app.use(express.urlencoded({ extended: false, limit: '200kb' }));
  const { middleware: session } = sessionMiddleware(config, db);
  app.use(session);
  const passport = createPassport(db, services.auth);
  app.use(passport.initialize());
  app.use(passport.session());
  app.use(viewLocals(deps.i18n, registry));
  app.use(csrf.csrfSynchronisedProtection);

  app.use(setupRoutes(services.setup));
  app.use(authRoutes(passport, services.setup));
  app.use(meRoutes(services.me));
  app.use(accountRoutes(db));

  const account = Router({ mergeParams: true });
  account.use(requireLogin, accountContext(db, registry));
  account.use('/contacts/:contactId/permissions', permissionRoutes(services.permissions));
  account.use('/contacts', contactRoutes(services.contacts));
  account.use('/groups', groupRoutes(services.groups, services.permissions));
  account.use(pluginRoutes(registry, { db, audit: services.audit, permissions: services.permissions }));
  account.use('/', accountHomeRoutes());
  app.use('/accounts/:accountId', account);

  app.use(notFoundHandler);
  app.use(errorHandler(logger, config.env === 'development'));
  return app;
}
