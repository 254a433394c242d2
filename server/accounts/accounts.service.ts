import type { Knex } from 'knex';
import { AccountRepository, type ActiveMembership, type Membership } from './accounts.repository';

/** A user's places in the accounts: the account picker and the membership every account page checks. */
export class AccountService {
  private readonly accounts: AccountRepository;

  constructor(db: Knex) {
    this.accounts = new AccountRepository(db);
  }

  activeMembershipsOfUser(userId: number): Promise<Membership[]> {
    return this.accounts.activeMembershipsOfUser(userId);
  }

  /** Undefined when the user has no active contact in the account. */
  activeMembership(accountId: number, userId: number): Promise<ActiveMembership | undefined> {
    return this.accounts.activeMembership(accountId, userId);
  }
}
