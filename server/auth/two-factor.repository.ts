import type { Knex } from 'knex';
import { toDate } from '../db/knex';

type Q = Knex | Knex.Transaction;

export interface TwoFactorRow {
  totp_secret: string | null;
  totp_enabled_at: Date | null;
  totp_last_step: number | null;
}

/** A user's TOTP columns (`users`) and recovery codes (`recovery_codes`). */
export class TwoFactorRepository {
  async find(q: Q, userId: number): Promise<TwoFactorRow | undefined> {
    const row = await q('users').where({ id: userId }).first('totp_secret', 'totp_enabled_at', 'totp_last_step');
    return row && { totp_secret: row.totp_secret, totp_enabled_at: toDate(row.totp_enabled_at), totp_last_step: row.totp_last_step === null ? null : Number(row.totp_last_step) };
  }

  /**
   * Stores the secret confirmed by its first code. A key being set up is never stored: it waits in
   * the session that asked for it (see TwoFactorService.startEnrolment). 0 when it was already on.
   */
  async enable(q: Q, userId: number, sealed: string, step: number): Promise<number> {
    return q('users').where({ id: userId }).whereNull('totp_enabled_at').update({ totp_secret: sealed, totp_enabled_at: new Date(), totp_last_step: step, updated_at: new Date() });
  }

  /** Removes the TOTP secret and every recovery code (turned off by the person, or reset by an administrator). */
  async disable(q: Q, userId: number): Promise<void> {
    await q('users').where({ id: userId }).update({ totp_secret: null, totp_enabled_at: null, totp_last_step: null, updated_at: new Date() });
    await q('recovery_codes').where({ user_id: userId }).delete();
  }

  /** Moves the last accepted time step forward; 0 when that step (or a later one) was already used. */
  useStep(q: Q, userId: number, step: number): Promise<number> {
    return q('users').where({ id: userId }).where((w) => w.whereNull('totp_last_step').orWhere('totp_last_step', '<', step)).update({ totp_last_step: step });
  }

  async replaceRecoveryCodes(q: Q, userId: number, hashes: string[]): Promise<void> {
    await q('recovery_codes').where({ user_id: userId }).delete();
    await q('recovery_codes').insert(hashes.map((code_hash) => ({ user_id: userId, code_hash, used_at: null })));
  }

  /** Spends one recovery code; 0 when it is unknown or was used. */
  useRecoveryCode(q: Q, userId: number, hash: string): Promise<number> {
    return q('recovery_codes').where({ user_id: userId, code_hash: hash }).whereNull('used_at').update({ used_at: new Date() });
  }

  async hasRecoveryCodes(q: Q, userId: number): Promise<boolean> {
    return !!(await q('recovery_codes').where({ user_id: userId }).first('id'));
  }

  async unusedRecoveryCodes(q: Q, userId: number): Promise<number> {
    const row = await q('recovery_codes').where({ user_id: userId }).whereNull('used_at').count({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }
}
