import type { AppDeps } from './app';
import { AuditService } from './audit/audit.service';
import { AuthService } from './auth/auth.service';
import { LoginLimiter } from './auth/login-limiter';
import { ContactService } from './contacts/contacts.service';
import { MeService } from './me/me.service';
import { GroupService } from './permissions/groups.service';
import { PermissionService } from './permissions/permissions.service';
import { SetupService } from './setup/setup.service';

/** Wires the services once per app; routes receive only the services they use. */
export function createServices({ config, db, registry }: AppDeps) {
  const audit = new AuditService();
  const limiter = new LoginLimiter(db, config.loginLimits, config.database.client === 'mysql' ? config.database.database : null);
  return {
    audit,
    auth: new AuthService(db, limiter),
    setup: new SetupService(db, audit),
    me: new MeService(db, audit),
    contacts: new ContactService(db, registry, audit),
    permissions: new PermissionService(db, registry, audit),
    groups: new GroupService(db, registry, audit),
  };
}
export type Services = ReturnType<typeof createServices>;
