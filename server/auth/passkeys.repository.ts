import type { Knex } from 'knex';
import { insertId, toDate } from '../db/knex';

type Q = Knex | Knex.Transaction;

export interface PasskeyRow {
  id: number;
  user_id: number;
  credential_id: string;
  /** COSE public key, base64url. */
  public_key: string;
  counter: number;
  transports: string[];
  name: string;
  created_at: Date;
  last_used_at: Date | null;
}

const columns = ['id', 'user_id', 'credential_id', 'public_key', 'counter', 'transports', 'name', 'created_at', 'last_used_at'];

function parseTransports(value: unknown): string[] {
  if (typeof value !== 'string' || !value) return [];
  try {
    const list: unknown = JSON.parse(value);
    return Array.isArray(list) ? list.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return [];
  }
}

const row = (r: Record<string, unknown> | undefined): PasskeyRow | undefined =>
  r && {
    id: Number(r.id),
    user_id: Number(r.user_id),
    credential_id: String(r.credential_id),
    public_key: String(r.public_key),
    counter: Number(r.counter),
    transports: parseTransports(r.transports),
    name: String(r.name),
    created_at: toDate(r.created_at)!,
    last_used_at: toDate(r.last_used_at),
  };

/** A user's passkeys (`passkeys`): one row per registered authenticator. */
export class PasskeyRepository {
  async listOf(q: Q, userId: number): Promise<PasskeyRow[]> {
    const rows = await q('passkeys').select(columns).where({ user_id: userId }).orderBy('created_at').orderBy('id');
    return rows.map((r) => row(r)!);
  }

  async hasAny(q: Q, userId: number): Promise<boolean> {
    return !!(await q('passkeys').where({ user_id: userId }).first('id'));
  }

  /** The user's passkey with this credential id; another person's credential is not found. */
  async findOfUser(q: Q, userId: number, credentialId: string): Promise<PasskeyRow | undefined> {
    return row(await q('passkeys').select(columns).where({ user_id: userId, credential_id: credentialId }).first());
  }

  async findById(q: Q, userId: number, id: number): Promise<PasskeyRow | undefined> {
    return row(await q('passkeys').select(columns).where({ user_id: userId, id }).first());
  }

  async credentialExists(q: Q, credentialId: string): Promise<boolean> {
    return !!(await q('passkeys').where({ credential_id: credentialId }).first('id'));
  }

  insert(q: Q, data: { userId: number; credentialId: string; publicKey: string; counter: number; transports: string[]; name: string }): Promise<number> {
    return insertId(q, 'passkeys', {
      user_id: data.userId, credential_id: data.credentialId, public_key: data.publicKey, counter: data.counter,
      transports: data.transports.length ? JSON.stringify(data.transports) : null, name: data.name, created_at: new Date(), last_used_at: null,
    });
  }

  /**
   * Records a use: the counter moves only forward (0 when another request already moved it to or
   * past this value, i.e. a cloned authenticator or a replay). Authenticators that keep no counter
   * always report 0, and stay at 0.
   */
  markUsed(q: Q, id: number, previousCounter: number, newCounter: number): Promise<number> {
    return q('passkeys').where({ id, counter: previousCounter }).update({ counter: newCounter, last_used_at: new Date() });
  }

  /** 0 when it is not this user's (or was removed already). */
  deleteOfUser(q: Q, userId: number, id: number): Promise<number> {
    return q('passkeys').where({ user_id: userId, id }).delete();
  }

  /** Every passkey of the user: an administrator's "reset second factor". Answers how many were removed. */
  deleteAllOf(q: Q, userId: number): Promise<number> {
    return q('passkeys').where({ user_id: userId }).delete();
  }
}
