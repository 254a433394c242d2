import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { AccountRepository, type AccountRow } from '../accounts/accounts.repository';
import type { Acting } from '../audit/actor';
import type { Actor, AuditService } from '../audit/audit.service';
import { newOneTimeToken } from '../auth/one-time-token';
import { throwIfLimited } from '../auth/login-limiter';
import { ContactLedger } from '../contacts/contact-ledger';
import { ContactRepository } from '../contacts/contacts.repository';
import { toDate } from '../db/knex';
import type { MailJob, PreparedMail } from '../mail/mail-job';
import { Conflict, Forbidden, NotFound, ValidationFailed } from '../errors';
import { listOf } from '../validation';
import { DEFAULT_LOCALE, isLocale, type Locale } from '../i18n';
import { PermissionRepository } from '../permissions/permissions.repository';
import { canGrant } from '../permissions/policy';
import { BUILT_IN_PROFILES } from '../plugins/contract';
import type { Registry } from '../plugins/registry';
import { parseAddresses } from './address-list';
import { InvitationRepository } from './invitations.repository';
import type { MailQueue } from './mail-queue';
import { inTransaction } from '../db/transaction';

export type AddressOutcome = 'invited' | 'invalid' | 'duplicate' | 'contact' | 'deactivated' | 'pending';
export interface AddressAnswer {
  address: string;
  outcome: AddressOutcome;
  contactId?: number;
}

/** The mail job of an invitation written in bulk (an import): the worker makes its link when it sends it. */
export const INVITATION_JOB = 'invitation';

export const INVITE_PROFILES = [...BUILT_IN_PROFILES, 'custom'] as const;
const DAY_MS = 86_400_000;

/** Pending (registered but unconfirmed too), or active without a login; never deactivated nor already linked and active. */
const isInvitable = (c: { status: string; user_id: number | null }) => c.status === 'pending' || (c.status === 'active' && c.user_id === null);

export const isUniqueViolation = (err: unknown) => {
  const code = (err as { code?: string })?.code;
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
};

/**
 * Sending invitations: "Convidar usuários" (many at once), the add form's invitation, "Reenviar
 * convite" and "Enviar convite de acesso", and revoking on delete. Each invitation is one row, its
 * e-mail one outbox row and its audit event, in the transaction of the change that caused it.
 */
export class InvitationService {
  private readonly invitations = new InvitationRepository();
  private readonly contacts = new ContactRepository();
  private readonly grants = new PermissionRepository();
  private readonly ledger: ContactLedger;
  private readonly accounts: AccountRepository;

  constructor(
    private readonly db: Knex,
    private readonly registry: Registry,
    private readonly audit: AuditService,
    private readonly mail: MailQueue,
    private readonly resendLimiter: RateLimiterAbstract,
    private readonly days: number,
  ) {
    this.ledger = new ContactLedger(db);
    this.accounts = new AccountRepository(db);
  }

  /**
   * Invites every new address of the box, or nobody: a batch that needs more seats than are free
   * sends nothing and says how many it needed.
   */
  async inviteMany(inviter: Acting, input: { addresses?: unknown; profile?: unknown; flags?: unknown; locale?: unknown }): Promise<AddressAnswer[]> {
    const parsed = parseAddresses(typeof input.addresses === 'string' ? input.addresses : '');
    if (!parsed.valid.length && !parsed.invalid.length) throw new ValidationFailed({ addresses: { key: 'invitations.errors.noAddresses' } });
    const { profile, flags } = this.accessOf(inviter.flags, input.profile, input.flags);
    const locale = isLocale(input.locale) ? input.locale : DEFAULT_LOCALE;

    const answers = await this.write(async (trx) => {
      const account = await this.lockAccount(trx, inviter.accountId);
      const known = [];
      for (const address of parsed.valid) {
        const id = await this.contacts.findIdByEmail(trx, inviter.accountId, address);
        known.push({ address, contact: id ? await this.contacts.find(trx, inviter.accountId, id) : undefined });
      }
      const fresh = known.filter((k) => !k.contact).map((k) => k.address);
      // One seat check for the batch: all of it is invited, or none. Until the person registers a
      // name, the list shows the whole address (a local part like "financeiro" names nobody).
      const ids = await this.ledger.enter(
        trx, account,
        fresh.map((address) => ({ user_id: null, status: 'pending' as const, profile, name: address.slice(0, 150), email: address, country: 'BR', created_by_contact_id: inviter.contactId })),
        (needed, free) => new Conflict('invitations.errors.seats', { needed, free }),
      );
      const idOf = new Map(fresh.map((address, i) => [address, ids[i]!]));
      const result: AddressAnswer[] = [];
      for (const { address, contact } of known) {
        if (contact) {
          result.push({ address, outcome: contact.status === 'active' ? 'contact' : contact.status, contactId: contact.id });
          continue;
        }
        const contactId = idOf.get(address)!;
        if (flags.length) await this.grants.setExplicit(trx, contactId, flags);
        await this.send(trx, { account, contactId, email: address, inviter: inviter.actor, locale });
        await this.audit.record(trx, inviter.actor, { accountId: inviter.accountId, action: 'invitation.sent', target: { type: 'contact', id: contactId }, details: { after: { email: address, status: 'pending', profile, flags } } });
        result.push({ address, outcome: 'invited', contactId });
      }
      return result;
    });
    return [...answers, ...parsed.invalid.map((address) => ({ address, outcome: 'invalid' as const })), ...parsed.duplicates.map((address) => ({ address, outcome: 'duplicate' as const }))];
  }

  /**
   * The invitation of a contact just added through the form (pending, in the caller's transaction).
   */
  async inviteAdded(trx: Knex.Transaction, inviter: Actor, contact: { account: AccountRow; contactId: number; email: string; flags: string[] }, locale: Locale): Promise<void> {
    if (contact.flags.length) await this.grants.setExplicit(trx, contact.contactId, contact.flags);
    await this.send(trx, { account: contact.account, contactId: contact.contactId, email: contact.email, inviter, locale });
  }

  /**
   * Invitations of many contacts just written (an import, or "Enviar convites" for those it left
   * waiting), in the caller's transaction: one invitation row each and one outbox job row each,
   * written in bulk. The link is made by the mail worker when it sends the message
   * (prepareInvitationMail), so no token waits in the outbox and rendering does not slow the import.
   */
  async inviteInBulk(trx: Knex.Transaction, inviter: Actor, account: AccountRow, contacts: { contactId: number; email: string }[], locale: Locale): Promise<void> {
    if (!contacts.length) return;
    const expiresAt = new Date(Date.now() + this.days * DAY_MS);
    // Never mailed, and no token hashes to it: the worker replaces it with the hash of the link it
    // sends. 32 random bytes each, drawn at once (one draw per row cost ~10 µs of an import's row).
    const placeholders = randomBytes(32 * contacts.length);
    const ids = await this.invitations.insertMany(trx, contacts.map((c, i) => ({
      account_id: account.id, contact_id: c.contactId, email: c.email,
      token_hash: placeholders.toString('hex', 32 * i, 32 * (i + 1)),
      invited_by_contact_id: inviter.contactId, invited_by_name: inviter.name, locale, expires_at: expiresAt,
    })));
    await this.mail.enqueueJobs(trx, contacts.map((c) => ({ accountId: account.id, name: INVITATION_JOB, to: c.email, locale, data: { invitationId: ids.get(c.contactId) } })));
  }

  /**
   * The mail worker's half of inviteInBulk: a fresh link for an invitation still open (not revoked,
   * accepted nor expired, its contact still pending), rendered as the add form's invitation; null
   * when there is nothing to send any more.
   */
  async prepareInvitationMail(trx: Knex.Transaction, job: MailJob): Promise<PreparedMail | null> {
    const id = Number(job.data.invitationId);
    const invitation = Number.isSafeInteger(id) ? await this.invitations.find(trx, id) : undefined;
    if (!invitation || invitation.revoked_at || invitation.accepted_at || invitation.contact_id === null) return null;
    const expiresAt = toDate(invitation.expires_at)!;
    if (expiresAt.getTime() <= Date.now()) return null;
    const contact = await this.contacts.find(trx, invitation.account_id, invitation.contact_id);
    if (!contact || contact.status !== 'pending' || contact.user_id !== null) return null;
    const account = await this.accounts.findById(invitation.account_id, trx);
    if (!account) return null;
    const { token, hash } = newOneTimeToken();
    await this.invitations.setTokenHash(trx, id, hash);
    const locale = isLocale(invitation.locale) ? invitation.locale : DEFAULT_LOCALE;
    const params = { accountName: account.name, inviterName: invitation.invited_by_name ?? '', path: `/invitations/${token}`, days: this.days, expiresAt: expiresAt.toISOString() };
    const rendered = await this.mail.render({ locale, template: 'invitation', params });
    return { accountId: account.id, to: invitation.email, locale, template: 'invitation', ...rendered };
  }

  /** How many pending contacts of the account wait for an invitation ("enviar convites depois"). */
  countWaiting(accountId: number): Promise<number> {
    return this.invitations.countWaiting(this.db, accountId);
  }

  /** "Enviar convites": every pending contact left without an invitation gets one; answers how many. */
  async sendWaiting(inviter: Acting, locale: Locale): Promise<number> {
    return inTransaction(this.db, async (trx) => {
      const account = await this.lockAccount(trx, inviter.accountId);
      const waiting = await this.invitations.waiting(trx, inviter.accountId);
      if (!waiting.length) return 0;
      await this.inviteInBulk(trx, inviter.actor, account, waiting.map((w) => ({ contactId: w.id, email: w.email })), locale);
      await this.audit.record(trx, inviter.actor, { accountId: inviter.accountId, action: 'invitation.sent_waiting', details: { count: waiting.length } });
      return waiting.length;
    });
  }

  /**
   * "Reenviar convite" (pending) or "Enviar convite de acesso" (active, no login yet): a new link,
   * the older ones revoked. Counted per contact, so a button pressed in a loop cannot flood a mailbox.
   */
  async resend(inviter: Acting, contactId: number, locale: Locale): Promise<void> {
    const contact = await this.contacts.find(this.db, inviter.accountId, contactId);
    if (!contact) throw new NotFound();
    if (!isInvitable(contact)) throw new Conflict('invitations.errors.notInvitable');
    throwIfLimited(await Promise.allSettled([this.resendLimiter.consume(`${inviter.accountId}:${contactId}`)]));
    await inTransaction(this.db, async (trx) => {
      const account = await this.lockAccount(trx, inviter.accountId);
      const locked = await this.contacts.lock(trx, inviter.accountId, contactId);
      if (!locked) throw new NotFound();
      if (!isInvitable(locked)) throw new Conflict('invitations.errors.notInvitable');
      if (locked.user_id !== null) return this.resendConfirmation(trx, inviter, account, locked, locale);
      const revoked = await this.invitations.revokeOpen(trx, inviter.accountId, contactId);
      await this.send(trx, { account, contactId, email: locked.email, inviter: inviter.actor, locale });
      const action = locked.status === 'pending' ? 'invitation.resent' : 'invitation.sent';
      await this.audit.record(trx, inviter.actor, { accountId: inviter.accountId, action, target: { type: 'contact', id: contactId }, details: { after: { email: locked.email }, revokedLinks: revoked } });
    });
  }

  /**
   * Registered, not yet confirmed (the login cannot sign in before that): a new confirmation link
   * replaces the old one, valid for the full period again.
   */
  private async resendConfirmation(trx: Knex.Transaction, inviter: Acting, account: AccountRow, contact: { id: number; name: string; email: string }, locale: Locale) {
    const latest = (await this.invitations.latestOf(trx, inviter.accountId, [contact.id])).get(contact.id);
    if (!latest?.accepted_at || latest.revoked_at || latest.confirmed_at) throw new Conflict('invitations.errors.notInvitable');
    const confirm = newOneTimeToken();
    await this.invitations.update(trx, latest.id, { confirm_token_hash: confirm.hash, accepted_at: new Date() });
    await this.mail.enqueue(trx, {
      accountId: account.id, to: contact.email, locale, template: 'invitation-confirm',
      params: { accountName: account.name, name: contact.name, path: `/invitations/confirm/${confirm.token}`, days: this.days },
    });
    await this.audit.record(trx, inviter.actor, { accountId: account.id, action: 'invitation.resent', target: { type: 'contact', id: contact.id }, details: { after: { email: contact.email }, confirmation: true } });
  }

  /** A deleted contact's links stop working ("revoked", not "unknown"), in the delete's transaction. */
  async revokeFor(trx: Knex.Transaction, actor: Actor, accountId: number, contactId: number): Promise<void> {
    const revoked = await this.invitations.revokeOpen(trx, accountId, contactId);
    if (revoked) await this.audit.record(trx, actor, { accountId, action: 'invitation.revoked', target: { type: 'contact', id: contactId }, details: { revokedLinks: revoked } });
  }

  /** The pending tab's columns: who invited, when, and until when the newest link works. */
  pendingDetails(accountId: number, contactIds: number[]) {
    return this.invitations.latestOf(this.db, accountId, contactIds);
  }

  /** The access an invitation carries (the batch's and the add form's): nobody grants what they do not hold. */
  accessOf(inviterFlags: ReadonlySet<string>, rawProfile: unknown, rawFlags: unknown): { profile: string; flags: string[] } {
    const profile = String(rawProfile ?? 'member');
    if (!(INVITE_PROFILES as readonly string[]).includes(profile)) throw new ValidationFailed({ profile: { key: 'permissions.errors.profile' } });
    const flags = profile === 'custom' ? [...new Set(listOf(rawFlags))] : [];
    const unknown = flags.filter((k) => !this.registry.keys.has(k));
    if (unknown.length) throw new ValidationFailed({ flags: { key: 'permissions.errors.unknownFlag', params: { keys: unknown.join(', ') } } });
    const given = profile === 'custom' ? flags : [...this.registry.flagsOfProfile(profile)];
    if (given.some((k) => !canGrant(this.registry, inviterFlags, k))) throw new Forbidden('permissions.errors.cannotGrant');
    return { profile, flags };
  }

  private async send(trx: Knex.Transaction, m: { account: AccountRow; contactId: number; email: string; inviter: Actor; locale: Locale }) {
    const { token, hash } = newOneTimeToken();
    const expiresAt = new Date(Date.now() + this.days * DAY_MS);
    await this.invitations.insert(trx, {
      account_id: m.account.id, contact_id: m.contactId, email: m.email, token_hash: hash,
      invited_by_contact_id: m.inviter.contactId, invited_by_name: m.inviter.name, locale: m.locale, expires_at: expiresAt,
    });
    await this.mail.enqueue(trx, {
      accountId: m.account.id, to: m.email, locale: m.locale, template: 'invitation',
      params: { accountName: m.account.name, inviterName: m.inviter.name ?? '', path: `/invitations/${token}`, days: this.days, expiresAt: expiresAt.toISOString() },
    });
  }

  private lockAccount(trx: Knex.Transaction, accountId: number): Promise<AccountRow> {
    return this.ledger.lockAccount(trx, accountId);
  }

  /** Two administrators inviting one address at once: the unique (account, e-mail) index decides. */
  private async write<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    try {
      return await inTransaction(this.db, work);
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict('invitations.errors.raced');
      throw err;
    }
  }
}
