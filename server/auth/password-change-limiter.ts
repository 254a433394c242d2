import type { Knex } from 'knex';
import { databaseLimiter, throwIfLimited, type LoginLimits } from './login-limiter';

/**
 * Wrong current passwords on the password-change form, counted per user like failed logins per
 * e-mail: whoever holds a stolen session cannot guess the password there without limit. Counted
 * before the check, given back on success.
 */
export class PasswordChangeLimiter {
  private readonly byUser;

  /** `keyPrefix` keeps one counter per form that checks a secret (password change, step-up, codes). */
  constructor(db: Knex, limits: LoginLimits, database: string | null, keyPrefix = 'password_change') {
    this.byUser = databaseLimiter(db, database, keyPrefix, limits.perEmail, limits.blockSeconds);
  }

  /** Counts one check; throws TooManyAttempts past the limit. */
  async consume(userId: number): Promise<void> {
    throwIfLimited(await Promise.allSettled([this.byUser.consume(String(userId))]));
  }

  async succeeded(userId: number): Promise<void> {
    await this.byUser.delete(String(userId));
  }
}
