import type { Knex } from 'knex';
import { z } from 'zod';
import type { Me } from '../audit/actor';
import type { AuditService } from '../audit/audit.service';
import type { PasswordChangeLimiter } from '../auth/password-change-limiter';
import { SessionRepository } from '../auth/sessions.repository';
import { ValidationFailed, type FieldErrors } from '../errors';
import { LOCALES } from '../i18n';
import { passwordProblem } from '../users/password-rules';
import { hashPassword, verifyPassword } from '../users/passwords';
import { UserRepository } from '../users/users.repository';
import { parseInput, text } from '../validation';
import { inTransaction } from '../db/transaction';

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
    // Length and strength are the registration's rules (passwordProblem), checked in changePassword.
    newPassword: z.string({ message: 'validation.required' }).min(1, 'validation.required'),
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

  async updateProfile(actor: Me, input: unknown): Promise<{ name: string; locale: string | null }> {
    const data = parseInput(profileSchema, input);
    await inTransaction(this.db, async (trx) => {
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
  async changePassword(actor: Me, input: unknown, keepSid?: string): Promise<void> {
    const user = await this.users.findById(actor.userId);
    const data = await this.parsePasswordChange(input, user?.email ?? '');
    await this.limiter.consume(actor.userId);
    if (!user || !(await verifyPassword(user.password_hash, data.currentPassword))) {
      throw new ValidationFailed({ currentPassword: { key: 'validation.passwordWrong' } });
    }
    const hash = await hashPassword(data.newPassword);
    await inTransaction(this.db, async (trx) => {
      await this.users.update(trx, actor.userId, { password_hash: hash });
      const endedSessions = await this.sessions.endOthers(trx, actor.userId, keepSid);
      await this.audit.record(trx, actor, { accountId: null, action: 'user.password_changed', target: { type: 'user', id: actor.userId }, details: { endedSessions } });
    });
    await this.limiter.succeeded(actor.userId);
  }

  /** The form's errors at once; a weak new password is refused before the current one is tried. */
  private async parsePasswordChange(input: unknown, email: string): Promise<z.infer<typeof passwordSchema>> {
    const errors: FieldErrors = {};
    let data: z.infer<typeof passwordSchema> | undefined;
    try {
      data = parseInput(passwordSchema, input);
    } catch (err) {
      if (!(err instanceof ValidationFailed)) throw err;
      Object.assign(errors, err.fields);
    }
    const newPassword = (input as { newPassword?: unknown } | null)?.newPassword;
    const problem = typeof newPassword === 'string' && newPassword ? await passwordProblem(newPassword, email) : null;
    if (problem) errors.newPassword = { key: problem };
    if (Object.keys(errors).length || !data) throw new ValidationFailed(errors);
    return data;
  }
}
