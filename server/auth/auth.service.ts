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
    await this.limiter.assertAllowed(email, ip);
    const user = email ? await this.users.findByEmail(email) : undefined;
    const ok = user ? await verifyPassword(user.password_hash, String(password ?? '')) : await verifyPassword(await dummyPasswordHash(), 'x');
    if (!user || !ok) {
      await this.limiter.recordFailure(email, ip);
      throw new InvalidCredentials();
    }
    await this.limiter.recordSuccess(email);
    const memberships = await this.accounts.activeMembershipsOfUser(user.id);
    if (memberships.length === 0) throw new InvalidCredentials('auth.errors.noAccess');
    return { user, memberships };
  }
}
