import { createHash } from 'node:crypto';
import { AccountRepository, type Membership } from '../accounts/accounts.repository';
import type { Knex } from 'knex';
import { DomainError } from '../errors';
import { dummyPasswordHash, verifyPassword } from '../users/passwords';
import { UserRepository, type UserRow } from '../users/users.repository';
import type { LoginLimiter } from './login-limiter';

export class InvalidCredentials extends DomainError {
  override readonly status = 401;
  constructor(messageKey = 'auth.errors.invalidCredentials') {
    super(messageKey);
  }
}

/** Checks an e-mail and password: one generic answer whether the e-mail or the password is wrong. */
export class AuthService {
  private readonly users: UserRepository;
  private readonly accounts: AccountRepository;

  constructor(db: Knex, private readonly limiter: LoginLimiter) {
    this.users = new UserRepository(db);
    this.accounts = new AccountRepository(db);
  }

  async authenticate(emailInput: string, password: string, ip: string): Promise<{ user: UserRow; memberships: Membership[] }> {
    const email = String(emailInput ?? '').trim().toLowerCase();
    const user = email ? await this.users.findByEmail(email) : undefined;
    // MySQL's collation finds a user by an accented or differently cased spelling: one person, one counter.
    const limitKey = foldEmail(user?.email ?? email);
    await this.limiter.consume(limitKey, ip);
    const ok = user ? await verifyPassword(user.password_hash, String(password ?? '')) : await verifyPassword(await dummyPasswordHash(), 'x');
    if (!user || !ok) throw new InvalidCredentials();
    await this.limiter.succeeded(limitKey, ip);
    const memberships = await this.accounts.activeMembershipsOfUser(user.id);
    if (memberships.length === 0) throw new InvalidCredentials('auth.errors.noAccess');
    return { user, memberships };
  }

  /** A session that kept only the user's id (an older shape) is signed in as this user, if they still exist. */
  findUser(id: number): Promise<UserRow | undefined> {
    return this.users.findById(id);
  }
}

/**
 * The e-mail without case or accents, as an accent-insensitive collation compares it; hashed when
 * longer than a real address, so any input fits the limiter's 255-character key.
 */
export function foldEmail(email: string): string {
  const folded = email.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
  return folded.length <= 200 ? folded : `sha256:${createHash('sha256').update(folded).digest('hex')}`;
}
