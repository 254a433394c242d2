import type { Knex } from 'knex';
import { insertId, toDate } from '../db/knex';

export type TokenPurpose = 'password_reset' | 'email_change' | 'step_up';

export interface UserTokenRow {
  id: number;
  user_id: number;
  purpose: TokenPurpose;
  new_email: string | null;
  expires_at: Date;
  used_at: Date | null;
}

type Q = Knex | Knex.Transaction;
const columns = ['id', 'user_id', 'purpose', 'new_email', 'expires_at', 'used_at'];
const row = (r: UserTokenRow | undefined) => (r ? { ...r, expires_at: toDate(r.expires_at)!, used_at: toDate(r.used_at) } : undefined);

/** One-time links of a user (`user_tokens`), found by the hash of their token. */
export class UserTokenRepository {
  insert(q: Q, data: { userId: number; purpose: TokenPurpose; hash: string; expiresAt: Date; newEmail?: string | null }): Promise<number> {
    return insertId(q, 'user_tokens', {
      user_id: data.userId, purpose: data.purpose, token_hash: data.hash, new_email: data.newEmail ?? null,
      expires_at: data.expiresAt, used_at: null, created_at: new Date(),
    });
  }

  async findByHash(q: Q, purpose: TokenPurpose, hash: string): Promise<UserTokenRow | undefined> {
    return row(await q('user_tokens').select(columns).where({ purpose, token_hash: hash }).first());
  }

  async findById(q: Q, id: number): Promise<UserTokenRow | undefined> {
    return row(await q('user_tokens').select(columns).where({ id }).first());
  }

  /** Marks the token used; 0 when another request used it first (a link works once). */
  markUsed(q: Q, id: number): Promise<number> {
    return q('user_tokens').where({ id }).whereNull('used_at').update({ used_at: new Date() });
  }

  /** Links of this purpose still open for the user are void (a newer one was sent, or one was used). */
  voidOpen(q: Q, userId: number, purpose: TokenPurpose): Promise<number> {
    return q('user_tokens').where({ user_id: userId, purpose }).whereNull('used_at').delete();
  }

  /** Approval links live two minutes: a new one clears the user's stale ones. */
  deleteExpired(q: Q, userId: number, purpose: TokenPurpose): Promise<number> {
    return q('user_tokens').where({ user_id: userId, purpose }).where('expires_at', '<', new Date()).delete();
  }

  deleteById(q: Q, id: number): Promise<number> {
    return q('user_tokens').where({ id }).delete();
  }
}
