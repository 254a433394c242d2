import type { Knex } from 'knex';
import { insertId } from '../db/knex';

export interface UserRow {
  id: number;
  email: string;
  password_hash: string | null;
  name: string;
  locale: string | null;
}

type Q = Knex | Knex.Transaction;
const columns = ['id', 'email', 'password_hash', 'name', 'locale'];

export class UserRepository {
  constructor(private readonly db: Knex) {}

  findById(id: number, q: Q = this.db): Promise<UserRow | undefined> {
    return q('users').select(columns).where({ id }).first();
  }

  findByEmail(email: string, q: Q = this.db): Promise<UserRow | undefined> {
    return q('users').select(columns).where({ email: email.trim().toLowerCase() }).first();
  }

  async create(q: Q, data: { email: string; name: string; passwordHash: string | null; locale?: string | null }): Promise<number> {
    const now = new Date();
    return insertId(q, 'users', {
      email: data.email.trim().toLowerCase(), name: data.name, password_hash: data.passwordHash,
      locale: data.locale ?? null, created_at: now, updated_at: now,
    });
  }

  /** The person proved they read mail at their address (an invitation's confirmation link). */
  async markVerified(q: Q, id: number): Promise<void> {
    await q('users').where({ id }).whereNull('verified_at').update({ verified_at: new Date(), updated_at: new Date() });
  }

  /** How many contacts, in any company, the login is linked to. */
  async contactCount(q: Q, id: number): Promise<number> {
    const row = await q('contacts').count('* as n').where({ user_id: id }).first();
    return Number(row?.n ?? 0);
  }

  /** LGPD erasure of a login no company holds any more: its tokens, codes and passkeys go with it (foreign keys). */
  async delete(q: Q, id: number): Promise<void> {
    await q('users').where({ id }).delete();
  }

  /** What "Meus dados" shows of the login (no password hash, no TOTP secret). */
  exportOf(id: number, q: Q = this.db) {
    return q('users').select('id', 'email', 'name', 'locale', 'verified_at', 'totp_enabled_at', 'created_at', 'updated_at').where({ id }).first();
  }

  async update(q: Q, id: number, data: Partial<{ name: string; locale: string | null; password_hash: string; email: string }>): Promise<void> {
    await q('users').where({ id }).update({ ...data, updated_at: new Date() });
  }
}
