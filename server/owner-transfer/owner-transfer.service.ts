import type { Knex } from 'knex';
import type { Acting } from '../audit/actor';
import type { AuditService } from '../audit/audit.service';
import { ContactRepository } from '../contacts/contacts.repository';
import { Conflict, Forbidden, NotFound, ValidationFailed } from '../errors';
import { positiveId } from '../validation';
import { DEFAULT_LOCALE, isLocale } from '../i18n';
import type { MailService } from '../mail/mail.service';
import type { PluginHooks } from '../plugins/registry';
import { AccountRepository } from '../accounts/accounts.repository';
import { OwnerTransferRepository } from './owner-transfer.repository';
import { inTransaction } from '../db/transaction';

export type FormerOwnerProfile = 'administrator' | 'member';

/**
 * "Transferir administração": the primary administrator hands the account to another active
 * contact. The account row is locked and the owner column moves only from the caller, so two
 * transfers at once leave exactly one owner and the later one is refused.
 */
export class OwnerTransferService {
  private readonly accounts: AccountRepository;
  private readonly contacts = new ContactRepository();
  private readonly transfers = new OwnerTransferRepository();

  constructor(private readonly db: Knex, private readonly hooks: PluginHooks, private readonly audit: AuditService, private readonly mail: MailService) {
    this.accounts = new AccountRepository(db);
  }

  /** The people the owner may choose; anyone else is refused with 403. */
  async candidates(caller: Pick<Acting, 'accountId' | 'contactId' | 'actor'>, ownerContactId: number | null) {
    if (ownerContactId !== caller.contactId) throw new Forbidden('owner.errors.notOwner');
    return this.transfers.candidates(this.db, caller.accountId, caller.contactId);
  }

  /** Returns the new primary administrator's name, for the message that names them. */
  async transfer(caller: Pick<Acting, 'accountId' | 'contactId' | 'actor'>, input: { receiver?: unknown; formerProfile?: unknown }): Promise<{ receiverName: string }> {
    const toId = positiveId(input.receiver);
    if (toId === null) throw new ValidationFailed({ receiver: { key: 'owner.errors.required' } });
    const formerProfile: FormerOwnerProfile = input.formerProfile === 'member' ? 'member' : 'administrator';

    return inTransaction(this.db, async (trx) => {
      const account = await this.accounts.lock(trx, caller.accountId);
      if (!account) throw new NotFound();
      // Checked under the lock: a second transfer started before the first one ended lands here.
      if (account.owner_contact_id !== caller.contactId) throw new Conflict('owner.errors.notOwner');
      const receiver = await this.contacts.lock(trx, caller.accountId, toId);
      if (!receiver) throw new NotFound();
      if (toId === caller.contactId) throw new ValidationFailed({ receiver: { key: 'owner.errors.self' } });
      if (receiver.status !== 'active') throw new ValidationFailed({ receiver: { key: 'owner.errors.notActive' } });
      const former = await this.contacts.lock(trx, caller.accountId, caller.contactId);
      if (!former) throw new NotFound();

      if ((await this.transfers.setOwner(trx, caller.accountId, caller.contactId, toId)) !== 1) throw new Conflict('owner.errors.notOwner');
      if (receiver.profile !== 'administrator') await this.contacts.update(trx, caller.accountId, toId, { profile: 'administrator' });
      if (former.profile !== formerProfile) await this.contacts.update(trx, caller.accountId, caller.contactId, { profile: formerProfile });
      await this.hooks.run('owner.transferred', { accountId: caller.accountId, fromContactId: caller.contactId, toContactId: toId }, trx, caller.actor);
      await this.audit.record(trx, caller.actor, {
        accountId: caller.accountId, action: 'owner.transferred', target: { type: 'account', id: caller.accountId },
        details: {
          before: { owner_contact_id: caller.contactId, former_profile: former.profile, receiver_profile: receiver.profile },
          after: { owner_contact_id: toId, former_profile: formerProfile, receiver_profile: 'administrator' },
        },
      });
      await this.notify(trx, account.id, account.name, { fromId: caller.contactId, toId, fromName: former.name, toName: receiver.name });
      return { receiverName: receiver.name };
    });
  }

  /** Both people learn of it by e-mail, each in their own language; the rows commit with the transfer. */
  private async notify(trx: Knex.Transaction, accountId: number, accountName: string, who: { fromId: number; toId: number; fromName: string; toName: string }) {
    for (const [contactId, role] of [[who.toId, 'new'], [who.fromId, 'former']] as const) {
      const to = await this.transfers.recipient(trx, accountId, contactId);
      if (!to) continue;
      await this.mail.enqueue(trx, {
        accountId, to: to.email, locale: isLocale(to.locale) ? to.locale : DEFAULT_LOCALE, template: 'owner-transferred',
        params: { role, name: to.name, accountName, fromName: who.fromName, toName: who.toName, path: `/accounts/${accountId}` },
      });
    }
  }
}
