import type { Knex } from 'knex';
import { AccountRepository } from '../accounts/accounts.repository';
import type { Actor, AuditService } from '../audit/audit.service';
import { DomainError, Forbidden, NotFound, ValidationFailed } from '../errors';
import { verifyPassword } from '../users/passwords';
import { UserRepository } from '../users/users.repository';
import { AccountSecurityRepository } from './account-security.repository';
import { hashOneTimeToken, newOneTimeToken } from './one-time-token';
import type { PasswordChangeLimiter } from './password-change-limiter';
import type { StepUpPolicy } from './step-up';
import { UserTokenRepository } from './user-tokens.repository';

const APPROVAL_MS = 2 * 60_000;

export class ApprovalLinkInvalid extends DomainError {
  override readonly status = 404;
  constructor() {
    super('security.stepUp.linkInvalid');
  }
}

/** Checks a TOTP or recovery code of a user (the two-factor feature answers it). */
export interface SecondFactorCheck {
  isEnabled(userId: number): Promise<boolean>;
  verifyCode(actor: Actor & { userId: number }, code: string): Promise<boolean>;
}

export type ApprovalStatus = 'waiting' | 'approved' | 'expired';

/**
 * Confirming who is at the keyboard before a sensitive act: by password (not for administrators of
 * a company that asks for a second factor), by a TOTP code, or by approving on a phone where the
 * same person is signed in (a 2-minute link shown as a QR code).
 */
export class StepUpService implements StepUpPolicy {
  private readonly users: UserRepository;
  private readonly accounts: AccountRepository;
  private readonly tokens = new UserTokenRepository();
  private readonly security = new AccountSecurityRepository();

  constructor(
    private readonly db: Knex,
    private readonly audit: AuditService,
    private readonly limiter: PasswordChangeLimiter,
    private readonly secondFactor: SecondFactorCheck,
  ) {
    this.users = new UserRepository(db);
    this.accounts = new AccountRepository(db);
  }

  /** True when the company asks its administrators for a second factor and this user administers it. */
  async secondFactorRequired(accountId: number, userId: number): Promise<boolean> {
    if (!(await this.security.requiresSecondFactor(this.db, accountId))) return false;
    const m = await this.accounts.activeMembership(accountId, userId);
    return !!m && (m.owner_contact_id === m.contact_id || m.profile === 'administrator');
  }

  hasSecondFactor(userId: number): Promise<boolean> {
    return this.secondFactor.isEnabled(userId);
  }

  async confirmWithPassword(actor: Actor & { userId: number }, accountId: number | null, password: unknown): Promise<void> {
    if (accountId !== null && (await this.secondFactorRequired(accountId, actor.userId))) throw new Forbidden('security.stepUp.secondFactorRequired');
    await this.limiter.consume(actor.userId);
    const user = await this.users.findById(actor.userId);
    if (!user || !(await verifyPassword(user.password_hash, String(password ?? '')))) {
      throw new ValidationFailed({ password: { key: 'validation.passwordWrong' } });
    }
    await this.limiter.succeeded(actor.userId);
    await this.recordConfirmed(actor, accountId, 'password');
  }

  async confirmWithCode(actor: Actor & { userId: number }, accountId: number | null, code: unknown): Promise<void> {
    if (!(await this.secondFactor.verifyCode(actor, String(code ?? '')))) throw new ValidationFailed({ code: { key: 'security.twoFactor.codeWrong' } });
    await this.recordConfirmed(actor, accountId, 'code');
  }

  /** A new approval link for the waiting session; its token is only in the QR code shown now. */
  async startApproval(userId: number, previousId?: number): Promise<{ id: number; token: string }> {
    const { token, hash } = newOneTimeToken();
    const id = await this.db.transaction(async (trx) => {
      if (previousId) await this.tokens.deleteById(trx, previousId);
      await this.tokens.deleteExpired(trx, userId, 'step_up');
      return this.tokens.insert(trx, { userId, purpose: 'step_up', hash, expiresAt: new Date(Date.now() + APPROVAL_MS) });
    });
    return { id, token };
  }

  /** The approval link as opened on the phone: valid, unused, and the same person signed in there. */
  async approvalFor(userId: number, token: string) {
    const row = await this.tokens.findByHash(this.db, 'step_up', hashOneTimeToken(token));
    if (!row || row.used_at || row.expires_at.getTime() <= Date.now()) throw new ApprovalLinkInvalid();
    if (row.user_id !== userId) throw new Forbidden('security.stepUp.otherPerson');
    return row;
  }

  async approve(actor: Actor & { userId: number }, token: string): Promise<void> {
    const row = await this.approvalFor(actor.userId, token);
    await this.db.transaction(async (trx) => {
      if ((await this.tokens.markUsed(trx, row.id)) === 0) throw new ApprovalLinkInvalid();
      await this.audit.record(trx, actor, { accountId: null, action: 'user.step_up_approved', target: { type: 'user', id: actor.userId }, details: { method: 'qr' } });
    });
  }

  /** Polled by the waiting page: an approved link is spent by the first poll that sees it. */
  async approvalStatus(userId: number, approvalId: number): Promise<ApprovalStatus> {
    const row = await this.tokens.findById(this.db, approvalId);
    if (!row || row.user_id !== userId || row.purpose !== 'step_up') return 'expired';
    if (row.used_at) return (await this.tokens.deleteById(this.db, row.id)) === 1 ? 'approved' : 'expired';
    return row.expires_at.getTime() <= Date.now() ? 'expired' : 'waiting';
  }

  /** The companies whose primary administrator this user is, with their setting (the "Segurança" section). */
  async companySettings(userId: number): Promise<{ accountId: number; name: string; requireSecondFactor: boolean }[]> {
    const owned = (await this.accounts.activeMembershipsOfUser(userId)).filter((m) => m.owner_contact_id === m.contact_id);
    return Promise.all(owned.map(async (m) => ({ accountId: m.account_id, name: m.account_name, requireSecondFactor: await this.security.requiresSecondFactor(this.db, m.account_id) })));
  }

  /** "Exigir segundo fator para administradores": the primary administrator's choice. */
  async setRequireSecondFactor(actor: Actor & { userId: number }, accountId: number, value: boolean): Promise<void> {
    const m = await this.accounts.activeMembership(accountId, actor.userId);
    if (!m) throw new NotFound();
    if (m.owner_contact_id !== m.contact_id) throw new Forbidden();
    await this.db.transaction(async (trx) => {
      const before = await this.security.requiresSecondFactor(trx, accountId);
      await this.security.setRequireSecondFactor(trx, accountId, value);
      await this.audit.record(trx, { ...actor, contactId: m.contact_id }, {
        accountId, action: 'account.security_changed', target: { type: 'account', id: accountId },
        details: { before: { requireSecondFactor: before }, after: { requireSecondFactor: value } },
      });
    });
  }

  private async recordConfirmed(actor: Actor & { userId: number }, accountId: number | null, method: 'password' | 'code'): Promise<void> {
    await this.db.transaction((trx) =>
      this.audit.record(trx, actor, { accountId: null, action: 'user.step_up_approved', target: { type: 'user', id: actor.userId }, details: { method, accountId } }),
    );
  }
}
