import type { i18n } from 'i18next';
import type { Knex } from 'knex';
import { AccountService } from './accounts/accounts.service';
import { OwnerTransferService } from './owner-transfer/owner-transfer.service';
import { AuditService } from './audit/audit.service';
import { AuthService } from './auth/auth.service';
import { FactorNotices } from './auth/factor-notice';
import { databaseLimiter, LoginLimiter } from './auth/login-limiter';
import { PasswordChangeLimiter } from './auth/password-change-limiter';
import { PASSWORD_RESET_JOB, PasswordResetService } from './auth/password-reset.service';
import { PasskeyService, relyingPartyOf } from './auth/passkeys.service';
import { SecretBox } from './auth/secret-box';
import { StepUpService } from './auth/step-up.service';
import { TwoFactorService } from './auth/two-factor.service';
import type { Config } from './config';
import { ContactService } from './contacts/contacts.service';
import { ContactExportService } from './contacts/contact-export.service';
import { AuditExportService } from './audit/audit-export.service';
import { SecondFactorResetService } from './contacts/second-factor-reset.service';
import { InvitationAcceptanceService } from './invitations/invitation-acceptance.service';
import { INVITATION_JOB, InvitationService } from './invitations/invitations.service';
import { ImportService } from './imports/imports.service';
import { ImportRunner } from './imports/import-runner';
import path from 'node:path';
import type { Logger } from 'pino';
import type { MailJobPreparer } from './mail/mail-job';
import { MailService } from './mail/mail.service';
import { EmailChangeService } from './me/email-change.service';
import { MeService } from './me/me.service';
import { GroupService } from './permissions/groups.service';
import { PermissionService } from './permissions/permissions.service';
import type { Registry } from './plugins/registry';
import { pluginContexts } from './composition/plugin-context';
import { pluginHooks } from './composition/plugin-hooks';
import { auditPeople, auditVocabulary } from './composition/audit-view';
import { AuditViewService } from './audit/audit-view.service';
import { SetupService } from './setup/setup.service';
import { ErasureService } from './privacy/erasure.service';
import { MyDataService } from './privacy/my-data.service';

/** Wires the services once per app; routes receive only the services they use. */
export function createServices({ config, db, registry, i18n, setupCode, logger }: { config: Config; db: Knex; registry: Registry; i18n: i18n; setupCode?: string | null; logger?: Pick<Logger, 'error' | 'info'> }) {
  const audit = new AuditService();
  const mail = new MailService({ db, publicUrl: config.publicUrl, i18n, cache: config.env === 'production' });
  const factorNotices = new FactorNotices(mail);
  const databaseName = config.database.client === 'mysql' ? config.database.database : null;
  const limiter = new LoginLimiter(db, config.loginLimits, databaseName);
  // Three invitation e-mails per contact per hour: enough for a typo'd resend, not a mailbox flood.
  const invitations = new InvitationService(db, registry, audit, mail, databaseLimiter(db, databaseName, 'invitation_resend', 3, 3600), config.invitationDays);
  const twoFactor = new TwoFactorService(db, audit, new SecretBox(config.sessionSecret), new PasswordChangeLimiter(db, config.loginLimits, databaseName, 'two_factor'), factorNotices);
  const permissions = new PermissionService(db, registry, audit);
  const pluginContext = pluginContexts({ db, audit, permissions, dataDir: config.dataDir });
  const hooks = pluginHooks(registry, pluginContext, audit);
  const stepUp = new StepUpService(
    db, audit, new PasswordChangeLimiter(db, config.loginLimits, databaseName, 'step_up'), twoFactor, permissions, mail,
    new PasswordChangeLimiter(db, config.loginLimits, databaseName, 'step_up_code'),
  );
  const passkeys = new PasskeyService(db, audit, factorNotices, relyingPartyOf(config.publicUrl));
  const passwordReset = new PasswordResetService(db, audit, mail, new LoginLimiter(db, config.loginLimits, databaseName, 'password_reset'));
  const importsFolder = path.join(config.dataDir, 'imports');
  return {
    /** What each plugin is handed (routes, confirmation questions, hooks). */
    pluginContext,
    audit,
    mail,
    factorNotices,
    twoFactor,
    passkeys,
    stepUp,
    emailChange: new EmailChangeService(db, audit, mail, new PasswordChangeLimiter(db, config.loginLimits, databaseName, 'email_change')),
    passwordReset,
    /** What the mail worker prepares when it claims a job row (server/mail/mail-job.ts). */
    mailJobs: {
      [PASSWORD_RESET_JOB]: (trx, job) => passwordReset.prepareMail(trx, job),
      [INVITATION_JOB]: (trx, job) => invitations.prepareInvitationMail(trx, job),
    } satisfies Record<string, MailJobPreparer>,
    accounts: new AccountService(db),
    ownerTransfer: new OwnerTransferService(db, hooks, audit, mail),
    auth: new AuthService(db, limiter),
    setup: new SetupService(db, audit, setupCode ?? null),
    me: new MeService(db, audit, new PasswordChangeLimiter(db, config.loginLimits, databaseName)),
    invitations,
    invitationAcceptance: new InvitationAcceptanceService(db, audit, mail, config.invitationDays),
    contacts: new ContactService(db, hooks, audit, invitations),
    /** LGPD: erasure of people who left, and "Meus dados". */
    erasure: new ErasureService(db, hooks, audit, config.sessionSecret),
    myData: new MyDataService(db, audit),
    contactExport: new ContactExportService(db, audit),
    auditExport: new AuditExportService(db, audit),
    // Every kind of second factor takes part in an administrator's reset.
    secondFactorReset: new SecondFactorResetService(db, audit, factorNotices, [twoFactor, passkeys]),
    permissions,
    auditView: new AuditViewService(db, auditPeople(db), auditVocabulary(registry)),
    groups: new GroupService(db, registry, audit),
    imports: new ImportService(db, invitations, importsFolder),
    /** Works import jobs in this process; the routes start a job at once, server/main.ts polls for the rest. */
    importRunner: new ImportRunner({ db, audit, invitations, folder: importsFolder }, logger ?? { error: (obj: unknown, msg?: string) => console.error(msg, obj), info: () => undefined }),
  };
}
export type Services = ReturnType<typeof createServices>;
