import type { Knex } from 'knex';
import { z } from 'zod';
import type { Actor, AuditService } from '../audit/audit.service';
import type { PasswordChangeLimiter } from '../auth/password-change-limiter';
import { SessionRepository } from '../auth/sessions.repository';
import { ValidationFailed } from '../errors';
import { LOCALES } from '../i18n';
import { hashPassword, MIN_PASSWORD_LENGTH, verifyPassword } from '../users/passwords';
import { UserRepository } from '../users/users.repository';
import { parseInput, text } from '../validation';

const profileSchema = z.object({
  name: text(150),
  locale: z
    .string()
    .optional()
    .transform((v) => (v ? v : null))
    .refine((v) => v === null || (LOCALES as readonly string[]).includes(v), 'validation.locale'),
});

const passwordSchema = z
  .object({
    currentPassword: z.string({ message: 'validation.required' }).min(1, 'validation.required'),
    newPassword: z.string({ message: 'validation.required' }).min(MIN_PASSWORD_LENGTH, 'validation.passwordTooShort').max(200, 'validation.tooLong'),
    newPasswordConfirmation: z.string({ message: 'validation.required' }),
  })
  .refine((v) => v.newPassword === v.newPasswordConfirmation, { path: ['newPasswordConfirmation'], message: 'validation.passwordMismatch' });

/** A person's own profile: name, language, password. Nobody else can change the password. */
export class MeService {
  private readonly users: UserRepository;
  private readonly sessions = new SessionRepository();

  constructor(private readonly db: Knex, private readonly audit: AuditService, private readonly limiter: PasswordChangeLimiter) {
    this.users = new UserRepository(db);
  }

  async updateProfile(actor: Actor & { userId: number }, input: unknown): Promise<{ name: string; locale: string | null }> {
    const data = parseInput(profileSchema, input);
    await this.db.transaction(async (trx) => {
      const before = await this.users.findById(actor.userId, trx);
      await this.users.update(trx, actor.userId, { name: data.name, locale: data.locale });
      await this.audit.record(trx, actor, {
        accountId: null, action: 'user.profile_updated', target: { type: 'user', id: actor.userId },
        details: { before: { name: before?.name, locale: before?.locale }, after: data },
      });
    });
    return data;
  }

  /**
   * Also ends the user's other sessions (`keepSid` is the one asking): whoever knew the old password
   * is out. Wrong current passwords are limited (TooManyAttempts).
   */
  async changePassword(actor: Actor & { userId: number }, input: unknown, keepSid?: string): Promise<void> {
    const data = parseInput(passwordSchema, input);
    await this.limiter.consume(actor.userId);
    const user = await this.users.findById(actor.userId);
    if (!user || !(await verifyPassword(user.password_hash, data.currentPassword))) {
      throw new ValidationFailed({ currentPassword: { key: 'validation.passwordWrong' } });
    }
    const hash = await hashPassword(data.newPassword);
    await this.db.transaction(async (trx) => {
      await this.users.update(trx, actor.userId, { password_hash: hash });
      const endedSessions = await this.sessions.endOthers(trx, actor.userId, keepSid);
      await this.audit.record(trx, actor, { accountId: null, action: 'user.password_changed', target: { type: 'user', id: actor.userId }, details: { endedSessions } });
    });
    await this.limiter.succeeded(actor.userId);
  }
}
