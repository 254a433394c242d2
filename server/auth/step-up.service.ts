import { randomInt } from 'node:crypto';
import type { Knex } from 'knex';
import { AccountRepository } from '../accounts/accounts.repository';
import type { Me } from '../audit/actor';
import type { AuditService } from '../audit/audit.service';
import { DomainError, Forbidden, NotFound, ValidationFailed } from '../errors';
import { DEFAULT_LOCALE, isLocale } from '../i18n';
import { CORE_FLAGS, type CoreFlag } from '../plugins/core-manifest';
import type { MailService } from '../mail/mail.service';
import { verifyPassword } from '../users/passwords';
import { UserRepository } from '../users/users.repository';
import { AccountSecurityRepository } from './account-security.repository';
import { hashOneTimeToken, newOneTimeToken } from './one-time-token';
import type { PasswordChangeLimiter } from './password-change-limiter';
import type { PendingStepUp, SignInFactor, StepUpPolicy } from '../http/guards';
import { StepUpApprovalRepository, type StepUpApprovalRow } from './step-up-approvals.repository';
import { describeAction, summariseBrowser } from './step-up-details';
import { inTransaction } from '../db/transaction';

const APPROVAL_MS = 2 * 60_000;
/** The short code typed on a phone whose camera fails: no 0/O, 1/I/L look-alikes. */
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const CODE_LENGTH = 8;

/**
 * The flags of the routes behind requireStepUp: contacts.manage (add, delete, permissions, groups),
 * contacts.invite (invite, resend) and account.settings (the company's settings). Whoever holds
 * one of them, by profile, explicit grant or group, administers the company for its 2FA rule; the
 * primary administrator always does.
 */
export const ADMINISTRATOR_FLAGS: readonly CoreFlag[] = [CORE_FLAGS.contactsManage, CORE_FLAGS.contactsInvite, CORE_FLAGS.accountSettings];

export class ApprovalLinkInvalid extends DomainError {
  override readonly status = 404;
  constructor() {
    super('security.stepUp.linkInvalid');
  }
}

/** Checks a TOTP or recovery code of a user (the two-factor feature answers it). */
export interface SecondFactorCheck {
  isEnabled(userId: number): Promise<boolean>;
  verifyCode(actor: Me, code: string): Promise<boolean>;
}

/** Who holds which flags in a company (the permissions feature answers it). */
export interface AdministratorDirectory {
  accessOf(contact: { contactId: number; profile: string; isOwner: boolean }): Promise<{ permissions: ReadonlySet<string> }>;
  holders(accountId: number, key: string): Promise<{ id: number; name: string; email: string }[]>;
}

/** The session that opens a QR code or types a short code, to approve another session's step-up. */
export interface Approver extends Me {
  sessionId: string;
  /** What this session proved at sign-in besides the password (undefined: the password only). */
  factor: SignInFactor | undefined;
}

export interface ApprovalDetails {
  /** Key under security.approval.actions. */
  action: string;
  accountName: string | null;
  browser: string | null;
  ip: string | null;
}

export type ApprovalStatus = 'waiting' | 'approved' | 'expired';

/** Session ids are kept only hashed: a database reader cannot take a session over. */
const sessionKey = (sessionId: string) => hashOneTimeToken(`session:${sessionId}`);
const normalizeCode = (code: unknown) => String(code ?? '').toUpperCase().replace(/[^A-Z0-9]/g, '');
const newShortCode = () => Array.from({ length: CODE_LENGTH }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join('');

/**
 * Confirming who is at the keyboard before a sensitive act: by password (not for administrators of
 * a company that asks for a second factor), by a TOTP code, or by an approval from another session
 * of the same person that proved a second factor at sign-in (a 2-minute QR code or short code).
 */
export class StepUpService implements StepUpPolicy {
  private readonly users: UserRepository;
  private readonly accounts: AccountRepository;
  private readonly approvals = new StepUpApprovalRepository();
  private readonly security = new AccountSecurityRepository();

  constructor(
    private readonly db: Knex,
    private readonly audit: AuditService,
    private readonly limiter: PasswordChangeLimiter,
    private readonly secondFactor: SecondFactorCheck,
    private readonly administrators: AdministratorDirectory,
    private readonly mail: MailService,
    private readonly codeLimiter: PasswordChangeLimiter,
  ) {
    this.users = new UserRepository(db);
    this.accounts = new AccountRepository(db);
  }

  /** True when the company asks its administrators for a second factor and this user administers it. */
  async secondFactorRequired(accountId: number, userId: number, known?: { isOwner: boolean; can(flag: string): boolean }): Promise<boolean> {
    if (!(await this.security.requiresSecondFactor(this.db, accountId))) return false;
    if (known) return known.isOwner || ADMINISTRATOR_FLAGS.some((flag) => known.can(flag));
    const m = await this.accounts.activeMembership(accountId, userId);
    if (!m) return false;
    const isOwner = m.owner_contact_id === m.contact_id;
    if (isOwner) return true;
    const { permissions } = await this.administrators.accessOf({ contactId: m.contact_id, profile: m.profile, isOwner });
    return ADMINISTRATOR_FLAGS.some((flag) => permissions.has(flag));
  }

  hasSecondFactor(userId: number): Promise<boolean> {
    return this.secondFactor.isEnabled(userId);
  }

  async confirmWithPassword(actor: Me, accountId: number | null, password: unknown): Promise<void> {
    if (accountId !== null && (await this.secondFactorRequired(accountId, actor.userId))) throw new Forbidden('security.stepUp.secondFactorRequired');
    await this.limiter.consume(actor.userId);
    const user = await this.users.findById(actor.userId);
    if (!user || !(await verifyPassword(user.password_hash, String(password ?? '')))) {
      throw new ValidationFailed({ password: { key: 'validation.stepUpPasswordWrong' } });
    }
    await this.limiter.succeeded(actor.userId);
    await this.recordConfirmed(actor, accountId, 'password');
  }

  async confirmWithCode(actor: Me, accountId: number | null, code: unknown): Promise<void> {
    if (!(await this.secondFactor.verifyCode(actor, String(code ?? '')))) throw new ValidationFailed({ code: { key: 'security.twoFactor.codeWrong' } });
    await this.recordConfirmed(actor, accountId, 'code');
  }

  /**
   * A new approval for the waiting session, bound to it: its link token is only in the QR code and
   * its short code only on the page shown now. What the phone will show is stored with it.
   */
  async startApproval(asker: { userId: number; sessionId: string; userAgent: string | null; ip: string | null }, pending: PendingStepUp): Promise<{ id: number; token: string; code: string }> {
    const { token, hash } = newOneTimeToken();
    const code = newShortCode();
    const account = pending.accountId !== null ? await this.accounts.findById(pending.accountId) : undefined;
    const askingSession = sessionKey(asker.sessionId);
    const id = await inTransaction(this.db, async (trx) => {
      const previous = pending.approvalId ? await this.approvals.findById(trx, pending.approvalId) : undefined;
      if (previous && previous.user_id === asker.userId && previous.asking_session === askingSession) await this.approvals.deleteById(trx, previous.id);
      await this.approvals.deleteExpired(trx, asker.userId);
      return this.approvals.insert(trx, {
        userId: asker.userId, tokenHash: hash, codeHash: hashOneTimeToken(code), askingSession,
        accountId: account?.id ?? null, accountName: account?.name ?? null, action: describeAction(pending.url),
        browser: summariseBrowser(asker.userAgent), ip: asker.ip ? asker.ip.slice(0, 45) : null,
        expiresAt: new Date(Date.now() + APPROVAL_MS),
      });
    });
    return { id, token, code };
  }

  /** The QR link as opened on the phone: what it would approve, if this session may approve it. */
  async approvalFor(approver: Approver, token: string): Promise<ApprovalDetails> {
    return details(this.checkApprover(approver, await this.approvals.findByToken(this.db, hashOneTimeToken(token))));
  }

  async approve(approver: Approver, token: string): Promise<void> {
    const row = this.checkApprover(approver, await this.approvals.findByToken(this.db, hashOneTimeToken(token)));
    await this.recordApproval(approver, row, 'link');
  }

  /** The short code typed on the phone, among this person's waiting approvals; wrong codes are limited. */
  async approvalByCode(approver: Approver, code: unknown): Promise<ApprovalDetails> {
    return details(await this.byCode(approver, code));
  }

  async approveByCode(approver: Approver, code: unknown): Promise<void> {
    await this.recordApproval(approver, await this.byCode(approver, code), 'code');
  }

  /**
   * Polled by the waiting page: an approval counts only for the session that asked, and is spent
   * by the first poll that sees it approved.
   */
  async approvalStatus(userId: number, sessionId: string, approvalId: number): Promise<{ status: ApprovalStatus; device: string | null }> {
    const row = await this.approvals.findById(this.db, approvalId);
    if (!row || row.user_id !== userId || row.asking_session !== sessionKey(sessionId)) return { status: 'expired', device: null };
    // The approving device goes with the confirmation into the session (and the audit trail).
    if (row.approved_at) return (await this.approvals.deleteById(this.db, row.id)) === 1 ? { status: 'approved', device: row.approved_browser } : { status: 'expired', device: null };
    return { status: row.expires_at.getTime() <= Date.now() ? 'expired' : 'waiting', device: null };
  }

  /** The companies whose primary administrator this user is, with their setting (the "Segurança" section). */
  async companySettings(userId: number): Promise<{ accountId: number; name: string; requireSecondFactor: boolean }[]> {
    const owned = (await this.accounts.activeMembershipsOfUser(userId)).filter((m) => m.owner_contact_id === m.contact_id);
    return Promise.all(owned.map(async (m) => ({ accountId: m.account_id, name: m.account_name, requireSecondFactor: await this.security.requiresSecondFactor(this.db, m.account_id) })));
  }

  /**
   * "Exigir segundo fator para administradores": the primary administrator's choice. The company's
   * other administrators learn of a change by e-mail, so a rule switched off from a stolen session
   * does not go unnoticed.
   */
  async setRequireSecondFactor(actor: Me, accountId: number, value: boolean): Promise<void> {
    const m = await this.accounts.activeMembership(accountId, actor.userId);
    if (!m) throw new NotFound();
    if (m.owner_contact_id !== m.contact_id) throw new Forbidden();
    const recipients = await this.otherAdministrators(accountId, m.contact_id);
    await inTransaction(this.db, async (trx) => {
      const before = await this.security.requiresSecondFactor(trx, accountId);
      await this.security.setRequireSecondFactor(trx, accountId, value);
      await this.audit.record(trx, { ...actor, contactId: m.contact_id }, {
        accountId, action: 'account.security_changed', target: { type: 'account', id: accountId },
        details: { before: { requireSecondFactor: before }, after: { requireSecondFactor: value } },
      });
      if (before === value) return;
      for (const to of recipients) {
        const locale = (await this.users.findByEmail(to.email, trx))?.locale;
        await this.mail.enqueue(trx, {
          accountId, to: to.email, locale: isLocale(locale) ? locale : DEFAULT_LOCALE, template: 'company-security-changed',
          params: { name: to.name, accountName: m.account_name, actorName: m.contact_name, state: value ? 'on' : 'off', path: '/me' },
        });
      }
    });
  }

  /** Everyone but `exceptContactId` who administers the company (same flags as the 2FA rule). */
  private async otherAdministrators(accountId: number, exceptContactId: number) {
    const byId = new Map<number, { id: number; name: string; email: string }>();
    for (const flag of ADMINISTRATOR_FLAGS) for (const c of await this.administrators.holders(accountId, flag)) byId.set(c.id, c);
    byId.delete(exceptContactId);
    return [...byId.values()];
  }

  private async byCode(approver: Approver, code: unknown): Promise<StepUpApprovalRow> {
    const typed = normalizeCode(code);
    await this.codeLimiter.consume(approver.userId);
    const row = typed.length === CODE_LENGTH ? await this.approvals.findWaitingByCode(this.db, approver.userId, hashOneTimeToken(typed)) : undefined;
    if (!row) throw new ValidationFailed({ code: { key: 'security.approval.codeWrong' } });
    const checked = this.checkApprover(approver, row);
    await this.codeLimiter.succeeded(approver.userId);
    return checked;
  }

  /**
   * An approval comes from the same person, from another session than the one that asked, and from
   * a session that proved a second factor when it signed in: a cookie alone proves nothing.
   */
  private checkApprover(approver: Approver, row: StepUpApprovalRow | undefined): StepUpApprovalRow {
    if (!row || row.approved_at || row.expires_at.getTime() <= Date.now()) throw new ApprovalLinkInvalid();
    if (row.user_id !== approver.userId) throw new Forbidden('security.stepUp.otherPerson');
    if (row.asking_session === sessionKey(approver.sessionId)) throw new Forbidden('security.approval.sameSession');
    if (!approver.factor) throw new Forbidden('security.approval.needsFactor');
    return row;
  }

  private async recordApproval(approver: Approver, row: StepUpApprovalRow, via: 'link' | 'code'): Promise<void> {
    await inTransaction(this.db, async (trx) => {
      if ((await this.approvals.approve(trx, row.id, approver.factor!, summariseBrowser(approver.userAgent))) === 0) throw new ApprovalLinkInvalid();
      await this.audit.record(trx, approver, {
        accountId: null, action: 'user.step_up_approved', target: { type: 'user', id: approver.userId },
        details: { method: 'qr', via, approverFactor: approver.factor, action: row.action, accountId: row.account_id, askingBrowser: row.browser, askingIp: row.ip },
      });
    });
  }

  private async recordConfirmed(actor: Me, accountId: number | null, method: 'password' | 'code'): Promise<void> {
    await inTransaction(this.db, (trx) =>
      this.audit.record(trx, actor, { accountId: null, action: 'user.step_up_approved', target: { type: 'user', id: actor.userId }, details: { method, accountId } }),
    );
  }
}

const details = (row: StepUpApprovalRow): ApprovalDetails => ({ action: row.action, accountName: row.account_name, browser: row.browser, ip: row.ip });
