import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { Me } from '../audit/actor';
import type { AuditService } from '../audit/audit.service';
import { Conflict, DomainError, NotFound, ValidationFailed } from '../errors';
import { UserRepository } from '../users/users.repository';
import type { FactorKind, FactorNotices, FactorOwner } from './factor-notice';
import type { PasswordChangeLimiter } from './password-change-limiter';
import type { SecondFactorReset } from './second-factor-reset';
import type { SecretBox } from './secret-box';
import type { SecondFactorCheck } from './step-up.service';
import { TwoFactorRepository } from './two-factor.repository';
import { inTransaction } from '../db/transaction';

// Imported when a person first enrols or types a code: loading them took ~0.1 s of every start-up.
const otp = () => import('otplib');
const qrcode = async () => (await import('qrcode')).default;

const ISSUER = 'Portal do Cliente';
const RECOVERY_CODES = 10;
/** One time step either side: a phone clock a little off still works. */
const TOLERANCE_SECONDS = 30;
/** How long a key shown on the enrolment page can still be turned on. */
export const ENROLMENT_MS = 10 * 60_000;

/** A key being set up, kept (sealed) in the session that asked for it: never in the database. */
export interface PendingEnrolment {
  userId: number;
  sealed: string;
  startedAt: number;
}

/** No enrolment in this session for this person, or it is older than ENROLMENT_MS: start again. */
export class EnrolmentExpired extends DomainError {
  override readonly status = 409;
  constructor() {
    super('security.twoFactor.enrolExpired');
  }
}

const hashCode = (code: string) => createHash('sha256').update(code).digest('hex');
/** Recovery codes are typed as shown (`abcd-efgh-ijkl`) or without the dashes, in any case. */
const normalizeRecovery = (code: string) => code.replace(/[^a-z0-9]/gi, '').toLowerCase();
const newRecoveryCode = () => {
  const raw = randomBytes(8).toString('hex').slice(0, 12);
  return `${raw.slice(0, 4)}-${raw.slice(4, 8)}-${raw.slice(8)}`;
};

/**
 * TOTP second factor: enrolment (a QR code of the otpauth URL of a key waiting in the session,
 * confirmed by a first code), ten recovery codes shown once and stored hashed, each code usable
 * once (a replayed time step is refused), wrong codes limited per user. The secret is kept
 * encrypted and never shown again once enabled.
 */
export class TwoFactorService implements SecondFactorCheck, SecondFactorReset {
  private readonly repo = new TwoFactorRepository();
  private readonly users: UserRepository;

  constructor(
    private readonly db: Knex,
    private readonly audit: AuditService,
    private readonly box: SecretBox,
    private readonly limiter: PasswordChangeLimiter,
    private readonly notices: FactorNotices,
  ) {
    this.users = new UserRepository(db);
  }

  async isEnabled(userId: number): Promise<boolean> {
    return !!(await this.repo.find(this.db, userId))?.totp_enabled_at;
  }

  async status(userId: number): Promise<{ enabled: boolean; recoveryCodesLeft: number }> {
    const enabled = await this.isEnabled(userId);
    return { enabled, recoveryCodesLeft: enabled ? await this.repo.unusedRecoveryCodes(this.db, userId) : 0 };
  }

  /**
   * "Configurar": a NEW key every time, kept sealed (SecretBox) in the asking session only (the
   * caller stores it there) and for ENROLMENT_MS, never in the user's row. A key someone glimpsed
   * once is worthless after the person starts again, and no other session can turn it on.
   */
  async startEnrolment(userId: number): Promise<PendingEnrolment> {
    if (await this.isEnabled(userId)) throw new Conflict('security.twoFactor.alreadyEnabled');
    return { userId, sealed: this.box.seal((await otp()).generateSecret()), startedAt: Date.now() };
  }

  /** The key and QR code of the session's enrolment; EnrolmentExpired when there is none for this user any more. */
  async enrolment(pending: PendingEnrolment | undefined, userId: number, email: string): Promise<{ secret: string; qrDataUrl: string; expiresAt: Date }> {
    const secret = this.pendingSecret(pending, userId);
    const uri = (await otp()).generateURI({ issuer: ISSUER, label: email, secret });
    return { secret, qrDataUrl: await (await qrcode()).toDataURL(uri, { margin: 1, width: 220 }), expiresAt: new Date(pending!.startedAt + ENROLMENT_MS) };
  }

  /**
   * Turns the factor on with the first code from the app, using the key of the session's enrolment
   * only; returns the recovery codes, shown once. Proves nothing about who is at the keyboard: the
   * caller must not count it as a second factor.
   */
  async enable(actor: Me, pending: PendingEnrolment | undefined, code: unknown): Promise<string[]> {
    const secret = this.pendingSecret(pending, actor.userId);
    if (await this.isEnabled(actor.userId)) throw new Conflict('security.twoFactor.alreadyEnabled');
    await this.limiter.consume(actor.userId);
    const step = await this.totpStep(secret, String(code ?? ''));
    if (step === null) throw new ValidationFailed({ code: { key: 'security.twoFactor.codeWrong' } });
    const owner = await this.owner(actor.userId);
    const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
    await inTransaction(this.db, async (trx) => {
      if ((await this.repo.enable(trx, actor.userId, pending!.sealed, step)) === 0) throw new Conflict('security.twoFactor.alreadyEnabled');
      await this.repo.replaceRecoveryCodes(trx, actor.userId, codes.map((c) => hashCode(normalizeRecovery(c))));
      await this.audit.record(trx, actor, { accountId: null, action: 'user.two_factor_enabled', target: { type: 'user', id: actor.userId } });
      await this.notices.changed(trx, owner, { factor: 'totp', change: 'added' });
    });
    await this.limiter.succeeded(actor.userId);
    return codes;
  }

  /**
   * Turning it off: the route asked for a fresh step-up (the password); this asks for a current
   * code (or a recovery code), so a session alone never removes the device.
   */
  async disable(actor: Me, code: unknown): Promise<void> {
    if (!(await this.verifyCode(actor, String(code ?? '')))) throw new ValidationFailed({ code: { key: 'security.twoFactor.codeWrong' } });
    const owner = await this.owner(actor.userId);
    await inTransaction(this.db, async (trx) => {
      await this.repo.disable(trx, actor.userId);
      await this.audit.record(trx, actor, { accountId: null, action: 'user.two_factor_disabled', target: { type: 'user', id: actor.userId } });
      await this.notices.changed(trx, owner, { factor: 'totp', change: 'removed' });
    });
  }

  /**
   * "Gerar novos códigos de recuperação": ten new codes, shown once; the old ones stop working.
   * Recovery codes sign in like the app does, so minting them needs a current code as well.
   */
  async regenerateRecoveryCodes(actor: Me, code: unknown): Promise<string[]> {
    if (!(await this.verifyCode(actor, String(code ?? '')))) throw new ValidationFailed({ code: { key: 'security.twoFactor.codeWrong' } });
    const owner = await this.owner(actor.userId);
    const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
    await inTransaction(this.db, async (trx) => {
      // Turned off meanwhile (in another session): no codes for a factor that is gone.
      if (!(await this.repo.find(trx, actor.userId))?.totp_enabled_at) throw new Conflict('security.twoFactor.notEnabled');
      await this.repo.replaceRecoveryCodes(trx, actor.userId, codes.map((c) => hashCode(normalizeRecovery(c))));
      await this.audit.record(trx, actor, { accountId: null, action: 'user.recovery_codes_regenerated', target: { type: 'user', id: actor.userId } });
      await this.notices.changed(trx, owner, { factor: 'recovery-codes', change: 'added' });
    });
    return codes;
  }

  /** For an administrator's reset (SecondFactorReset): the authenticator and its recovery codes. */
  async held(userId: number): Promise<FactorKind[]> {
    const kinds: FactorKind[] = [];
    if (await this.isEnabled(userId)) kinds.push('totp');
    if (await this.repo.hasRecoveryCodes(this.db, userId)) kinds.push('recovery-codes');
    return kinds;
  }

  async removeAll(trx: Knex.Transaction, userId: number): Promise<FactorKind[]> {
    const kinds: FactorKind[] = [];
    if ((await this.repo.find(trx, userId))?.totp_enabled_at) kinds.push('totp');
    if (await this.repo.hasRecoveryCodes(trx, userId)) kinds.push('recovery-codes');
    await this.repo.disable(trx, userId);
    return kinds;
  }

  /**
   * A TOTP code (each time step accepted once) or an unused recovery code. Every check counts
   * against the user's limit (TooManyAttempts past it); a right code gives the points back.
   */
  async verifyCode(actor: Me, input: string): Promise<boolean> {
    const row = await this.repo.find(this.db, actor.userId);
    if (!row?.totp_enabled_at || !row.totp_secret) return false;
    await this.limiter.consume(actor.userId);
    const code = input.replace(/\s+/g, '');
    let ok = false;
    if (/^\d{6}$/.test(code)) {
      const secret = this.readSecret(row.totp_secret);
      const step = secret ? await this.totpStep(secret, code, row.totp_last_step) : null;
      ok = step !== null && (await this.repo.useStep(this.db, actor.userId, step)) === 1;
    } else if (normalizeRecovery(code).length === 12) {
      ok = await inTransaction(this.db, async (trx) => {
        if ((await this.repo.useRecoveryCode(trx, actor.userId, hashCode(normalizeRecovery(code)))) === 0) return false;
        await this.audit.record(trx, actor, { accountId: null, action: 'user.recovery_code_used', target: { type: 'user', id: actor.userId } });
        return true;
      });
    }
    if (ok) await this.limiter.succeeded(actor.userId);
    return ok;
  }

  /** The session's enrolment key, if it belongs to this user and is younger than ENROLMENT_MS. */
  private pendingSecret(pending: PendingEnrolment | undefined, userId: number): string {
    const fresh = pending && pending.userId === userId && typeof pending.startedAt === 'number' && Date.now() - pending.startedAt < ENROLMENT_MS;
    const secret = fresh ? this.readSecret(pending.sealed) : null;
    if (!secret) throw new EnrolmentExpired();
    return secret;
  }

  private async owner(userId: number): Promise<FactorOwner> {
    const user = await this.users.findById(userId);
    if (!user) throw new NotFound();
    return { email: user.email, name: user.name, locale: user.locale };
  }

  /** null when the secret was sealed under another SESSION_SECRET: only recovery codes work then. */
  private readSecret(sealed: string): string | null {
    try {
      return this.box.open(sealed);
    } catch {
      return null;
    }
  }

  /** The time step a code belongs to, or null when it is wrong or not after `afterStep`. */
  private async totpStep(secret: string, code: string, afterStep?: number | null): Promise<number | null> {
    if (!/^\d{6}$/.test(code.trim())) return null;
    const result = await (await otp()).verify({ secret, token: code.trim(), epochTolerance: TOLERANCE_SECONDS, ...(afterStep ? { afterTimeStep: afterStep } : {}) });
    // The TOTP strategy's answer carries the time step (the functional API's type is HOTP's and TOTP's union).
    return result.valid && 'timeStep' in result ? (result as { timeStep: number }).timeStep : null;
  }
}
