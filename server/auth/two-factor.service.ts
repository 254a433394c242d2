import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';
import type { Actor, AuditService } from '../audit/audit.service';
import { Conflict, ValidationFailed } from '../errors';
import { verifyPassword } from '../users/passwords';
import { UserRepository } from '../users/users.repository';
import type { PasswordChangeLimiter } from './password-change-limiter';
import type { SecretBox } from './secret-box';
import type { SecondFactorCheck } from './step-up.service';
import { TwoFactorRepository } from './two-factor.repository';

const ISSUER = 'Portal do Cliente';
const RECOVERY_CODES = 10;
/** One time step either side: a phone clock a little off still works. */
const TOLERANCE_SECONDS = 30;

const hashCode = (code: string) => createHash('sha256').update(code).digest('hex');
/** Recovery codes are typed as shown (`abcd-efgh-ijkl`) or without the dashes, in any case. */
const normalizeRecovery = (code: string) => code.replace(/[^a-z0-9]/gi, '').toLowerCase();
const newRecoveryCode = () => {
  const raw = randomBytes(8).toString('hex').slice(0, 12);
  return `${raw.slice(0, 4)}-${raw.slice(4, 8)}-${raw.slice(8)}`;
};

/**
 * TOTP second factor: enrolment (a QR code of the otpauth URL, confirmed by a first code), ten
 * recovery codes shown once and stored hashed, each code usable once (a replayed time step is
 * refused), wrong codes limited per user. The secret is kept encrypted and never shown again.
 */
export class TwoFactorService implements SecondFactorCheck {
  private readonly repo = new TwoFactorRepository();
  private readonly users: UserRepository;

  constructor(
    private readonly db: Knex,
    private readonly audit: AuditService,
    private readonly box: SecretBox,
    private readonly limiter: PasswordChangeLimiter,
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

  /** The enrolment being set up: a new secret unless one is waiting for its first code. */
  async enrolment(userId: number, email: string): Promise<{ secret: string; qrDataUrl: string }> {
    const row = await this.repo.find(this.db, userId);
    if (row?.totp_enabled_at) throw new Conflict('security.twoFactor.alreadyEnabled');
    let secret = row?.totp_secret ? this.readSecret(row.totp_secret) : null;
    if (!secret) {
      secret = generateSecret();
      await this.repo.setPendingSecret(this.db, userId, this.box.seal(secret));
    }
    const uri = generateURI({ issuer: ISSUER, label: email, secret });
    return { secret, qrDataUrl: await QRCode.toDataURL(uri, { margin: 1, width: 220 }) };
  }

  /** Turns the factor on with the first code from the app; returns the recovery codes, shown once. */
  async enable(actor: Actor & { userId: number }, code: unknown): Promise<string[]> {
    const row = await this.repo.find(this.db, actor.userId);
    if (row?.totp_enabled_at) throw new Conflict('security.twoFactor.alreadyEnabled');
    if (!row?.totp_secret) throw new ValidationFailed({ code: { key: 'security.twoFactor.codeWrong' } });
    await this.limiter.consume(actor.userId);
    const secret = this.readSecret(row.totp_secret);
    const step = secret ? await this.totpStep(secret, String(code ?? '')) : null;
    if (step === null) throw new ValidationFailed({ code: { key: 'security.twoFactor.codeWrong' } });
    const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
    await this.db.transaction(async (trx) => {
      if ((await this.repo.enable(trx, actor.userId, step)) === 0) throw new Conflict('security.twoFactor.alreadyEnabled');
      await this.repo.replaceRecoveryCodes(trx, actor.userId, codes.map((c) => hashCode(normalizeRecovery(c))));
      await this.audit.record(trx, actor, { accountId: null, action: 'user.two_factor_enabled', target: { type: 'user', id: actor.userId } });
    });
    await this.limiter.succeeded(actor.userId);
    return codes;
  }

  /** Turning it off asks for the password and a current code (or a recovery code). */
  async disable(actor: Actor & { userId: number }, input: { password?: unknown; code?: unknown }): Promise<void> {
    const user = await this.users.findById(actor.userId);
    await this.limiter.consume(actor.userId);
    if (!user || !(await verifyPassword(user.password_hash, String(input.password ?? '')))) {
      throw new ValidationFailed({ password: { key: 'validation.passwordWrong' } });
    }
    if (!(await this.verifyCode(actor, String(input.code ?? '')))) throw new ValidationFailed({ code: { key: 'security.twoFactor.codeWrong' } });
    await this.db.transaction(async (trx) => {
      await this.repo.disable(trx, actor.userId);
      await this.audit.record(trx, actor, { accountId: null, action: 'user.two_factor_disabled', target: { type: 'user', id: actor.userId } });
    });
  }

  /**
   * A TOTP code (each time step accepted once) or an unused recovery code. Every check counts
   * against the user's limit (TooManyAttempts past it); a right code gives the points back.
   */
  async verifyCode(actor: Actor & { userId: number }, input: string): Promise<boolean> {
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
      ok = await this.db.transaction(async (trx) => {
        if ((await this.repo.useRecoveryCode(trx, actor.userId, hashCode(normalizeRecovery(code)))) === 0) return false;
        await this.audit.record(trx, actor, { accountId: null, action: 'user.recovery_code_used', target: { type: 'user', id: actor.userId } });
        return true;
      });
    }
    if (ok) await this.limiter.succeeded(actor.userId);
    return ok;
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
    const result = await verify({ secret, token: code.trim(), epochTolerance: TOLERANCE_SECONDS, ...(afterStep ? { afterTimeStep: afterStep } : {}) });
    // The TOTP strategy's answer carries the time step (the functional API's type is HOTP's and TOTP's union).
    return result.valid && 'timeStep' in result ? (result as { timeStep: number }).timeStep : null;
  }
}
