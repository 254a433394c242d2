import type { Knex } from 'knex';
import { AccountService } from './accounts/accounts.service';
import { AuditService } from './audit/audit.service';
import { AuthService } from './auth/auth.service';
import { LoginLimiter } from './auth/login-limiter';
import { PasswordChangeLimiter } from './auth/password-change-limiter';
import type { Config } from './config';
import { ContactService } from './contacts/contacts.service';
import { MeService } from './me/me.service';
import { GroupService } from './permissions/groups.service';
import { PermissionService } from './permissions/permissions.service';
import type { Registry } from './plugins/registry';
import { SetupService } from './setup/setup.service';

/** Wires the services once per app; routes receive only the services they use. */
export function createServices({ config, db, registry, setupCode }: { config: Config; db: Knex; registry: Registry; setupCode?: string | null }) {
  const audit = new AuditService();
  const databaseName = config.database.client === 'mysql' ? config.database.database : null;
  const limiter = new LoginLimiter(db, config.loginLimits, databaseName);
  return {
    audit,
    accounts: new AccountService(db),
    auth: new AuthService(db, limiter),
    setup: new SetupService(db, audit, setupCode ?? null),
    me: new MeService(db, audit, new PasswordChangeLimiter(db, config.loginLimits, databaseName)),
    contacts: new ContactService(db, registry, audit),
    permissions: new PermissionService(db, registry, audit),
    groups: new GroupService(db, registry, audit),
  };
}
export type Services = ReturnType<typeof createServices>;
