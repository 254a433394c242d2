import type { Knex } from 'knex';
import { AccountRepository } from '../accounts/accounts.repository';
import type { Acting } from '../audit/actor';
import type { AuditService } from '../audit/audit.service';
import type { FactorKind, FactorNotices } from '../auth/factor-notice';
import type { SecondFactorReset } from '../auth/second-factor-reset';
import { Conflict, Forbidden, NotFound } from '../errors';
import { UserRepository } from '../users/users.repository';
import { ContactRepository, type ContactRow } from './contacts.repository';
import { inTransaction } from '../db/transaction';

/** What the contact's page shows: the factors the person's login holds and whether this caller may reset them. */
export interface SecondFactorStatus {
  factors: FactorKind[];
  mayReset: boolean;
}

/**
 * "Redefinir verificação em duas etapas": an administrator of the company (the route checks
 * `account.settings`, which the primary administrator always holds) removes every second
 * factor of one of its contacts (who lost the phone, or whose session was taken over and a
 * stranger's key enrolled), so the person signs in with the password again and sets it up anew.
 *
 * A login may belong to several companies, and the reset affects the login everywhere. It is
 * allowed all the same: the company's administrator is who vouches for the person at that
 * company, the person is told by e-mail at once, and the act is in the company's audit trail.
 * What keeps it from being a takeover tool: only active contacts with a login; never one's own
 * factor (that is Meu perfil, which asks for a current code); never the primary administrator's
 * (no one in the company ranks above them, so no one else may remove their device). It removes
 * factors only: the password stays, so the reset alone signs nobody in.
 */
export class SecondFactorResetService {
  private readonly contacts = new ContactRepository();
  private readonly accounts: AccountRepository;
  private readonly users: UserRepository;

  constructor(
    private readonly db: Knex,
    private readonly audit: AuditService,
    private readonly notices: FactorNotices,
    /** Every kind of second factor (TOTP and its recovery codes; passkeys): a reset removes them all. */
    private readonly participants: SecondFactorReset[],
  ) {
    this.accounts = new AccountRepository(db);
    this.users = new UserRepository(db);
  }

  async status(caller: Pick<Acting, 'accountId' | 'contactId' | 'actor'>, contact: Pick<ContactRow, 'id' | 'user_id' | 'status'>, ownerContactId: number | null): Promise<SecondFactorStatus> {
    if (contact.user_id === null) return { factors: [], mayReset: false };
    const factors = await this.held(contact.user_id);
    return { factors, mayReset: factors.length > 0 && this.refusal(caller, contact, ownerContactId) === null };
  }

  async reset(caller: Pick<Acting, 'accountId' | 'contactId' | 'actor'>, contactId: number): Promise<{ name: string }> {
    const found = await this.contacts.find(this.db, caller.accountId, contactId);
    if (!found) throw new NotFound();
    const user = found.user_id === null ? undefined : await this.users.findById(found.user_id);
    if (!user) throw new Conflict('security.factorReset.noLogin');
    await inTransaction(this.db, async (trx) => {
      // The owner and the contact as of this transaction: a transfer or a deactivation may have just happened.
      const account = await this.accounts.lock(trx, caller.accountId);
      const contact = await this.contacts.find(trx, caller.accountId, contactId);
      if (!account || !contact || contact.user_id !== user.id) throw new NotFound();
      const refusal = this.refusal(caller, contact, account.owner_contact_id);
      if (refusal) throw refusal;
      const removed: FactorKind[] = [];
      for (const p of this.participants) removed.push(...(await p.removeAll(trx, user.id)));
      if (removed.length === 0) throw new Conflict('security.factorReset.nothing');
      await this.audit.record(trx, { ...caller.actor, contactId: caller.contactId }, {
        accountId: caller.accountId, action: 'contact.second_factor_reset', target: { type: 'contact', id: contactId },
        details: { userId: user.id, before: { factors: removed }, after: { factors: [] } },
      });
      await this.notices.changed(trx, { email: user.email, name: user.name, locale: user.locale }, { factor: 'totp', change: 'reset' });
    });
    return { name: found.name };
  }

  private async held(userId: number): Promise<FactorKind[]> {
    return (await Promise.all(this.participants.map((p) => p.held(userId)))).flat();
  }

  /** Why this caller may not reset this contact's factors, or null when they may. */
  private refusal(caller: Pick<Acting, 'accountId' | 'contactId' | 'actor'>, contact: Pick<ContactRow, 'id' | 'user_id' | 'status'>, ownerContactId: number | null): Conflict | Forbidden | null {
    if (contact.id === caller.contactId) return new Conflict('security.factorReset.self');
    if (contact.id === ownerContactId) return new Forbidden('security.factorReset.owner');
    if (contact.user_id === null) return new Conflict('security.factorReset.noLogin');
    if (contact.status !== 'active') return new Conflict('security.factorReset.notActive');
    return null;
  }
}
