import type { Knex } from 'knex';
import { AccountRepository, type AccountRow } from '../accounts/accounts.repository';
import type { Actor, AuditService } from '../audit/audit.service';
import { hashOneTimeToken, newOneTimeToken } from '../auth/one-time-token';
import { toDate } from '../db/knex';
import { parseContactForm, type ContactFormValues } from '../contacts/contact-form';
import { ContactLedger } from '../contacts/contact-ledger';
import { ContactRepository, type ContactRow } from '../contacts/contacts.repository';
import { Conflict, InvitationClosed, LoginExists, ValidationFailed, type FieldErrors } from '../errors';
import { isLocale, type Locale } from '../i18n';
import { hashPassword } from '../users/passwords';
import { UserRepository } from '../users/users.repository';
import { isUniqueViolation } from './invitations.service';
import { InvitationRepository, type InvitationRow } from './invitations.repository';
import type { MailQueue } from './mail-queue';
import { passwordProblem } from '../users/password-rules';
import { inTransaction } from '../db/transaction';

export interface OpenInvitation {
  email: string;
  accountName: string;
  inviterName: string | null;
  hasLogin: boolean;
  contact: Pick<ContactRow, 'name' | 'country' | 'document_type' | 'document_number' | 'area_code' | 'phone' | 'email' | 'consulting_authorized'>;
}

const DAY_MS = 86_400_000;

/**
 * The invited person's side: open the link, accept with an existing login or register, confirm the
 * e-mail. Every step locks the invitation row, so a link works once however many tabs submit it.
 */
export class InvitationAcceptanceService {
  private readonly invitations = new InvitationRepository();
  private readonly contacts = new ContactRepository();
  private readonly accounts: AccountRepository;
  private readonly ledger: ContactLedger;
  private readonly users: UserRepository;

  constructor(private readonly db: Knex, private readonly audit: AuditService, private readonly mail: MailQueue, private readonly days: number) {
    this.accounts = new AccountRepository(db);
    this.ledger = new ContactLedger(db);
    this.users = new UserRepository(db);
  }

  /** What the link's page shows; throws InvitationClosed for a link that no longer works. */
  async open(token: string): Promise<OpenInvitation> {
    const invitation = await this.invitations.findByTokenHash(this.db, hashOneTimeToken(token));
    assertOpen(invitation);
    const [account, contact, user] = await Promise.all([
      this.accounts.findById(invitation.account_id),
      this.contacts.find(this.db, invitation.account_id, invitation.contact_id!),
      this.users.findByEmail(invitation.email),
    ]);
    if (!account || !contact) throw new InvitationClosed('revoked');
    return { email: invitation.email, accountName: account.name, inviterName: invitation.invited_by_name, hasLogin: Boolean(user), contact };
  }

  /** A signed-in person whose login is the invited e-mail joins at once: the address is proven. */
  async accept(token: string, user: { id: number; email: string; name: string }, meta: Omit<Actor, 'userId' | 'contactId' | 'name'>): Promise<number> {
    try {
      return await this.acceptInTransaction(token, user, meta);
    } catch (err) {
      // The login is already a (deactivated) contact of this company: unique (account, user).
      if (isUniqueViolation(err)) throw new Conflict('invitations.errors.alreadyMember');
      throw err;
    }
  }

  private acceptInTransaction(token: string, user: { id: number; email: string; name: string }, meta: Omit<Actor, 'userId' | 'contactId' | 'name'>): Promise<number> {
    return inTransaction(this.db, async (trx) => {
      const invitation = await this.invitations.lockByTokenHash(trx, hashOneTimeToken(token));
      assertOpen(invitation);
      if (invitation.email !== user.email.toLowerCase()) throw new Conflict('invitations.errors.otherLogin', { email: invitation.email });
      const { account, contact } = await this.lockContact(trx, invitation);
      if (await this.accounts.activeMembership(invitation.account_id, user.id, trx)) throw new Conflict('invitations.errors.alreadyMember');
      await this.ledger.move(trx, account, contact, 'active', { user_id: user.id });
      const now = new Date();
      await this.invitations.update(trx, invitation.id, { accepted_at: now, confirmed_at: now });
      await this.audit.record(trx, { userId: user.id, contactId: contact.id, name: user.name, ...meta }, {
        accountId: invitation.account_id, action: 'invitation.accepted', target: { type: 'contact', id: contact.id }, details: { after: { status: 'active', login: 'existing' } },
      });
      return invitation.account_id;
    });
  }

  /**
   * The registration form: the person's data and a password. The login is created unverified and
   * linked; the contact stays pending (using the seat it held) until the confirmation link.
   */
  async register(token: string, values: ContactFormValues & { password: string; passwordConfirmation: string }, locale: Locale, meta: Omit<Actor, 'userId' | 'contactId' | 'name'>): Promise<string> {
    const opened = await this.open(token);
    if (opened.hasLogin) throw new LoginExists();
    const errors: FieldErrors = {};
    let data;
    try {
      data = parseContactForm({ ...values, email: opened.email }, { confirmEmail: false });
    } catch (err) {
      if (!(err instanceof ValidationFailed)) throw err;
      Object.assign(errors, err.fields);
    }
    const problem = await passwordProblem(values.password, opened.email);
    if (problem) errors.password = { key: problem };
    else if (values.password !== values.passwordConfirmation) errors.passwordConfirmation = { key: 'invitations.register.passwordMismatch' };
    if (Object.keys(errors).length || !data) throw new ValidationFailed(errors);
    const passwordHash = await hashPassword(values.password);
    const fields = data;

    try {
      await inTransaction(this.db, async (trx) => {
        const invitation = await this.invitations.lockByTokenHash(trx, hashOneTimeToken(token));
        assertOpen(invitation);
        const { account, contact } = await this.lockContact(trx, invitation);
        if (await this.users.findByEmail(invitation.email, trx)) throw new LoginExists();
        if (fields.document_type && fields.document_number) {
          const byDoc = await this.contacts.findIdByDocument(trx, invitation.account_id, fields.document_type, fields.document_number);
          if (byDoc && byDoc !== contact.id) throw new ValidationFailed({ document: { key: fields.document_type === 'cpf' ? 'contacts.validation.cpfTaken' : 'contacts.validation.documentTaken' } });
        }
        const userId = await this.users.create(trx, { email: invitation.email, name: fields.name, passwordHash, locale: isLocale(locale) ? locale : null });
        await this.contacts.update(trx, invitation.account_id, contact.id, { ...fields, email: invitation.email, user_id: userId });
        const confirm = newOneTimeToken();
        await this.invitations.update(trx, invitation.id, { accepted_at: new Date(), confirm_token_hash: confirm.hash });
        await this.mail.enqueue(trx, {
          accountId: invitation.account_id, to: invitation.email, locale, template: 'invitation-confirm',
          params: { accountName: account.name, name: fields.name, path: `/invitations/confirm/${confirm.token}`, days: this.days },
        });
        await this.audit.record(trx, { userId, contactId: contact.id, name: fields.name, ...meta }, {
          accountId: invitation.account_id, action: 'invitation.accepted', target: { type: 'contact', id: contact.id }, details: { after: { login: 'registered' } },
        });
      });
    } catch (err) {
      // Two registrations for one e-mail at once (two companies' links): one login, the other is told to sign in.
      if (isUniqueViolation(err)) throw new LoginExists();
      throw err;
    }
    return opened.email;
  }

  /** Inline checks of the registration form as the person leaves a field (no writes). */
  validateFields(email: string, values: ContactFormValues): FieldErrors {
    try {
      parseContactForm({ ...values, email }, { confirmEmail: false });
      return {};
    } catch (err) {
      if (err instanceof ValidationFailed) return err.fields;
      throw err;
    }
  }

  /** The confirmation link: the contact becomes active with exactly the permissions it was invited with. */
  /**
   * The confirmation link opened: says whether it can still confirm, changing nothing (mail
   * scanners open links; only the person's "Confirmar e-mail" button confirms).
   */
  async checkConfirmation(token: string): Promise<void> {
    this.assertConfirmable(await this.invitations.findByConfirmHash(this.db, hashOneTimeToken(token)));
  }

  async confirm(token: string, meta: Omit<Actor, 'userId' | 'contactId' | 'name'>): Promise<{ accountId: number; email: string }> {
    return inTransaction(this.db, async (trx) => {
      const invitation = await this.invitations.lockByConfirmHash(trx, hashOneTimeToken(token));
      this.assertConfirmable(invitation);
      const { account, contact } = await this.lockContact(trx, invitation);
      if (contact.user_id === null) throw new InvitationClosed('revoked');
      await this.users.markVerified(trx, contact.user_id);
      if (contact.status === 'pending') await this.ledger.move(trx, account, contact, 'active');
      await this.invitations.update(trx, invitation.id, { confirmed_at: new Date() });
      await this.audit.record(trx, { userId: contact.user_id, contactId: contact.id, name: contact.name, ...meta }, {
        accountId: invitation.account_id, action: 'invitation.email_confirmed', target: { type: 'contact', id: contact.id }, details: { after: { status: 'active' } },
      });
      return { accountId: invitation.account_id, email: invitation.email };
    });
  }

  private assertConfirmable(invitation: InvitationRow | undefined): asserts invitation is InvitationRow {
    if (!invitation) throw new InvitationClosed('unknown');
    if (invitation.confirmed_at) throw new InvitationClosed('used');
    if (invitation.revoked_at) throw new InvitationClosed('revoked');
    if (Date.now() - toDate(invitation.accepted_at)!.getTime() > this.days * DAY_MS) throw new InvitationClosed('expired');
  }

  private async lockContact(trx: Knex.Transaction, invitation: InvitationRow): Promise<{ account: AccountRow; contact: ContactRow }> {
    const account = await this.ledger.lockAccount(trx, invitation.account_id);
    const contact = invitation.contact_id ? await this.contacts.lock(trx, invitation.account_id, invitation.contact_id) : undefined;
    if (!contact || contact.status === 'deactivated') throw new InvitationClosed('revoked');
    return { account, contact };
  }
}

function assertOpen(invitation: InvitationRow | undefined): asserts invitation is InvitationRow {
  if (!invitation) throw new InvitationClosed('unknown');
  if (invitation.revoked_at || invitation.contact_id === null) throw new InvitationClosed('revoked');
  if (invitation.accepted_at) throw new InvitationClosed('used');
  if (toDate(invitation.expires_at)!.getTime() <= Date.now()) throw new InvitationClosed('expired');
}

