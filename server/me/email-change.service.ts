import type { Knex } from 'knex';
import { z } from 'zod';
import { AccountRepository } from '../accounts/accounts.repository';
import type { Me } from '../audit/actor';
import type { AuditService } from '../audit/audit.service';
import { hashOneTimeToken, newOneTimeToken } from '../auth/one-time-token';
import type { PasswordChangeLimiter } from '../auth/password-change-limiter';
import { UserTokenRepository } from '../auth/user-tokens.repository';
import { ContactRepository } from '../contacts/contacts.repository';
import { DomainError, ValidationFailed } from '../errors';
import { isLocale, type Locale } from '../i18n';
import type { MailService } from '../mail/mail.service';
import { verifyPassword } from '../users/passwords';
import { UserRepository } from '../users/users.repository';
import { email, parseInput } from '../validation';
import { inTransaction } from '../db/transaction';

const CONFIRM_MS = 24 * 60 * 60_000;
const requestSchema = z.object({ newEmail: email, password: z.string({ message: 'validation.required' }).min(1, 'validation.required') });

export class EmailLinkInvalid extends DomainError {
  override readonly status = 404;
  constructor() {
    super('security.emailChange.invalid');
  }
}

/**
 * The login e-mail changes only when the new address confirms it (a 24-hour, single-use link sent
 * there); then every company's contact linked to the login follows, since a linked contact's e-mail
 * is the login's. An address another login uses, or another contact of one of those companies,
 * never gets a link: it is told someone tried to use it. The asker gets the same answer either
 * way, so the form cannot tell whether an address has a login (anyone who knows their own password
 * could ask about addresses without limit). The link refuses an address taken since it was sent.
 */
export class EmailChangeService {
  private readonly users: UserRepository;
  private readonly accounts: AccountRepository;
  private readonly contacts = new ContactRepository();
  private readonly tokens = new UserTokenRepository();

  constructor(
    private readonly db: Knex,
    private readonly audit: AuditService,
    private readonly mail: MailService,
    private readonly limiter: PasswordChangeLimiter,
  ) {
    this.users = new UserRepository(db);
    this.accounts = new AccountRepository(db);
  }

  async request(actor: Me, input: unknown, locale: Locale): Promise<string> {
    const data = parseInput(requestSchema, input);
    await this.limiter.consume(actor.userId);
    const user = await this.users.findById(actor.userId);
    if (!user || !(await verifyPassword(user.password_hash, data.password))) throw new ValidationFailed({ password: { key: 'validation.passwordWrong' } });
    await this.limiter.succeeded(actor.userId);
    if (data.newEmail === user.email) throw new ValidationFailed({ newEmail: { key: 'security.emailChange.same' } });
    const holder = await this.holderOf(this.db, user.id, data.newEmail);
    const { token, hash } = newOneTimeToken();
    await inTransaction(this.db, async (trx) => {
      // Voided in both cases: an earlier link that survived only a taken address would tell them apart.
      await this.tokens.voidOpen(trx, user.id, 'email_change');
      if (holder) {
        await this.mail.enqueue(trx, {
          accountId: null, to: data.newEmail, locale: isLocale(holder.locale) ? holder.locale : locale, template: 'email-in-use', params: { email: data.newEmail },
        });
      } else {
        await this.tokens.insert(trx, { userId: user.id, purpose: 'email_change', hash, newEmail: data.newEmail, expiresAt: new Date(Date.now() + CONFIRM_MS) });
        await this.mail.enqueue(trx, {
          accountId: null, to: data.newEmail, locale: isLocale(user.locale) ? user.locale : locale, template: 'email-change',
          params: { name: user.name, email: data.newEmail, path: `/me/email/confirm/${token}` },
        });
      }
      await this.audit.record(trx, actor, {
        accountId: null, action: 'user.email_change_requested', target: { type: 'user', id: user.id }, details: { to: data.newEmail, ...(holder ? { inUse: true } : {}) },
      });
    });
    return data.newEmail;
  }

  /** The new address of an open link of this user, or EmailLinkInvalid. */
  async pending(userId: number, token: string, q: Knex | Knex.Transaction = this.db): Promise<{ id: number; newEmail: string }> {
    const row = await this.tokens.findByHash(q, 'email_change', hashOneTimeToken(token));
    if (!row || row.user_id !== userId || row.used_at || !row.new_email || row.expires_at.getTime() <= Date.now()) throw new EmailLinkInvalid();
    return { id: row.id, newEmail: row.new_email };
  }

  async confirm(actor: Me, token: string): Promise<string> {
    return inTransaction(this.db, async (trx) => {
      const link = await this.pending(actor.userId, token, trx);
      if ((await this.tokens.markUsed(trx, link.id)) === 0) throw new EmailLinkInvalid();
      const user = (await this.users.findById(actor.userId, trx))!;
      await this.assertFree(trx, user.id, link.newEmail);
      await this.users.update(trx, user.id, { email: link.newEmail });
      for (const m of await this.accounts.activeMembershipsOfUser(user.id, trx)) {
        const contact = await this.contacts.lock(trx, m.account_id, m.contact_id);
        if (!contact) continue;
        await this.contacts.update(trx, m.account_id, contact.id, {
          name: contact.name, email: link.newEmail, country: contact.country, document_type: contact.document_type, document_number: contact.document_number,
          area_code: contact.area_code, phone: contact.phone, consulting_authorized: Boolean(contact.consulting_authorized),
        });
        await this.audit.record(trx, { ...actor, contactId: contact.id }, {
          accountId: m.account_id, action: 'contact.email_changed', target: { type: 'contact', id: contact.id }, details: { before: { email: user.email }, after: { email: link.newEmail } },
        });
      }
      await this.audit.record(trx, actor, { accountId: null, action: 'user.email_confirmed', target: { type: 'user', id: user.id }, details: { before: { email: user.email }, after: { email: link.newEmail } } });
      return link.newEmail;
    });
  }

  /** Refused when another login has the address, or another contact of one of the person's companies. */
  private async assertFree(q: Knex | Knex.Transaction, userId: number, address: string): Promise<void> {
    if (await this.holderOf(q, userId, address)) throw new ValidationFailed({ newEmail: { key: 'security.emailChange.taken' } });
  }

  /** Who else has the address (their login's language, if any), or null when it is free for this person. */
  private async holderOf(q: Knex | Knex.Transaction, userId: number, address: string): Promise<{ locale: string | null } | null> {
    const owner = await this.users.findByEmail(address, q);
    if (owner && owner.id !== userId) return { locale: owner.locale ?? null };
    for (const m of await this.accounts.activeMembershipsOfUser(userId, q)) {
      const other = await this.contacts.findIdByEmail(q, m.account_id, address);
      if (other !== undefined && other !== m.contact_id) return { locale: null };
    }
    return null;
  }
}
