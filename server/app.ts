import path from 'node:path';
import ejs from 'ejs';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { i18n } from 'i18next';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Config } from './config';
import { accountContext } from './accounts/account-context';
import { accountHomeRoutes, accountRoutes } from './accounts/accounts.routes';
import { authRoutes } from './auth/auth.routes';
import { createPassport } from './auth/passport';
import { passkeyRoutes } from './auth/passkeys.routes';
import { stepUpPolicy, requireLogin } from './http/guards';
import { stepUpRoutes } from './auth/step-up.routes';
import { passwordResetRoutes } from './auth/password-reset.routes';
import { healthRoutes } from './health/health.routes';
import { errorHandler, notFoundHandler } from './http/errors';
import { viewLocals } from './http/locals';
import { requestLogging } from './http/request-log';
import { csrf, personalPages, securityHeaders } from './http/security';
import { sessionMiddleware } from './http/session';
import { contactFormatters } from './contacts/format';
import { contactRoutes } from './contacts/contacts.routes';
import { contactExportRoutes } from './contacts/contact-export.routes';
import { auditExportRoutes } from './audit/audit-export.routes';
import { secondFactorResetRoutes } from './contacts/second-factor-reset.routes';
import { OWNER_MENU, ownerTransferRoutes } from './owner-transfer/owner-transfer.routes';
import { ContactConfirmations } from './contacts/contact-confirmations';
import { invitationAdminRoutes, invitationPublicRoutes } from './invitations/invitations.routes';
import { devMailRoutes } from './mail/dev-mail.routes';
import { meRoutes } from './me/me.routes';
import { securityRoutes } from './me/security.routes';
import { groupRoutes, permissionRoutes } from './permissions/permissions.routes';
import type { Registry } from './plugins/registry';
import { pluginRoutes } from './composition/plugin-routes';
import { createServices, type Services } from './services';
import { importRoutes } from './imports/imports.routes';
import { auditRoutes } from './audit/audit.routes';
import { actionLabel } from './audit/event-view';
import { setupRoutes } from './setup/setup.routes';
import { privacyRoutes } from './privacy/privacy.routes';
import { myDataRoutes } from './privacy/my-data.routes';
import './http/types';

export interface AppDeps {
  config: Config;
  db: Knex;
  registry: Registry;
  i18n: i18n;
  logger: Logger;
  /** The first-run code /setup asks for; null once an account exists. */
  setupCode?: string | null;
  /** Built by the caller when something besides the routes uses them (the mail worker's jobs). */
  services?: Services;
}

const ROOT = path.resolve(import.meta.dirname, '..');

/** Builds the express app; no listening and no globals, so tests build as many as they need. */
export function createApp(deps: AppDeps) {
  const { config, db, registry, logger } = deps;
  const services = deps.services ?? createServices(deps);
  const app = express();

  app.disable('x-powered-by');
  // Pages are personal and rebuilt on every request: hashing each 30 KB page for an ETag cost more
  // CPU than a list query, to spare bytes only on a reload. Static files keep their own ETags.
  app.set('etag', false);
  app.set('trust proxy', config.trustProxy);
  const views = path.join(ROOT, 'views');
  app.set('view engine', 'ejs');
  app.set('views', views);
  // Views, plugins' too, include core ones by their path in the views folder ('/partials/field'):
  // EJS resolves that against its `root` option, which EJS 7 no longer reads from express's
  // 'view options', so it is handed over here. Express turns 'view cache' on in production.
  app.engine('ejs', (file, locals, done) => ejs.renderFile(file, locals, { root: views, cache: app.enabled('view cache') }, done));
  Object.assign(app.locals, contactFormatters);
  const labels = new Map(registry.permissions.map((p) => [p.key, p.label]));
  app.locals.permissionLabel = (key: string) => labels.get(key) ?? key;
  app.locals.auditActionLabel = actionLabel;

  app.use(requestLogging(logger));
  app.use(securityHeaders(config));
  app.use('/public', express.static(path.join(ROOT, 'public'), { maxAge: config.env === 'production' ? '1d' : 0 }));
  app.get('/public/vendor/htmx.min.js', (_req, res) => res.sendFile(path.join(ROOT, 'node_modules/htmx.org/dist/htmx.min.js')));
  app.get('/public/vendor/simplewebauthn-browser.min.js', (_req, res) => res.sendFile(path.join(ROOT, 'node_modules/@simplewebauthn/browser/dist/bundle/index.umd.min.js')));
  // Browsers ask for it on every first visit, whatever the page links.
  app.get('/favicon.ico', (_req, res) => res.sendFile(path.join(ROOT, 'public/images/favicon.ico'), { maxAge: config.env === 'production' ? '1d' : 0 }));
  app.use(healthRoutes(db));
  app.use(personalPages);

  app.use(express.urlencoded({ extended: false, limit: '200kb' }));
  // Express 5 leaves req.body undefined when a POST has no body (an HTMX button sends only the
  // CSRF header): an empty form is what every route reads then, so it is refused or done, not a 500.
  app.use(emptyBodyAsEmptyForm);
  const { middleware: session } = sessionMiddleware(config, db);
  app.use(session);
  const passport = createPassport(services.auth);
  app.use(passport.initialize());
  app.use(passport.session());
  app.use(viewLocals(deps.i18n));
  app.use(csrf.csrfSynchronisedProtection);

  app.use(setupRoutes(services.setup));
  app.use(authRoutes(passport, services.setup, services.twoFactor, services.passkeys));
  app.use(passwordResetRoutes(services.passwordReset));
  app.use(stepUpPolicy(services.stepUp));
  app.use(passkeyRoutes(services.passkeys));
  app.use(stepUpRoutes(services.stepUp, (p) => services.mail.link(p)));
  app.use(meRoutes(services.me, services.twoFactor, services.stepUp, services.emailChange, services.passkeys));
  app.use(securityRoutes(services.twoFactor, services.stepUp));
  app.use(myDataRoutes(services.myData));
  app.use(accountRoutes(services.accounts));
  app.use(invitationPublicRoutes(services.invitationAcceptance));
  // Without SMTP_URL a developer reads the outbox here; a test or production portal has no such page.
  if (config.env === 'development') app.use(devMailRoutes(services.mail));

  const account = Router({ mergeParams: true });
  account.use(requireLogin, accountContext(services.accounts, services.permissions), accountMenu(registry));
  account.use('/contacts/:contactId/permissions', permissionRoutes(services.permissions));
  account.use('/contacts/:contactId/second-factor', secondFactorResetRoutes(services.secondFactorReset));
  account.use('/contacts.csv', contactExportRoutes(services.contactExport));
  account.use('/audit', auditExportRoutes(services.auditExport));
  account.use('/contacts', contactRoutes(services.contacts, services.invitations, services.secondFactorReset, new ContactConfirmations(registry, services.pluginContext), services.permissions));
  account.use('/invitations', invitationAdminRoutes(services.invitations, services.permissions));
  account.use('/owner', ownerTransferRoutes(services.ownerTransfer));
  account.use('/imports', importRoutes(services.imports, services.importRunner, config.importMaxBytes));
  account.use('/groups', groupRoutes(services.groups, services.permissions));
  account.use('/audit', auditRoutes(services.auditView));
  account.use('/privacy', privacyRoutes(services.erasure));
  account.use(pluginRoutes(registry, services.pluginContext));
  account.use('/', accountHomeRoutes());
  app.use('/accounts/:accountId', account);

  app.use(notFoundHandler);
  app.use(errorHandler(logger, config.env === 'development'));
  return app;
}

function emptyBodyAsEmptyForm(req: Request, _res: Response, next: NextFunction) {
  req.body ??= {};
  next();
}

/** The layout's menu on account pages: the entries the current contact may open (read on every request). */
function accountMenu(registry: Registry) {
  return (req: Request, res: Response, next: NextFunction) => {
    res.locals.menu = [...registry.menu.filter((m) => req.ctx!.can(m.requires)), ...(req.ctx!.isOwner ? OWNER_MENU : [])];
    next();
  };
}
