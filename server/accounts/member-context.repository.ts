import { dateAsISO, expiredCondition } from 'connect-session-knex/dist/utils.js';
import type { Knex } from 'knex';
import { sessionUserSql } from '../auth/sessions.repository';
import { isMysql, rawRows } from '../db/knex';
import type { Membership } from './accounts.repository';

/** What every page of an account needs of the signed-in user, read fresh on every request. */
export interface MemberContext {
  membership: Membership;
  /** Flags granted on top of the profile: explicit grants and the contact's groups' flags. */
  extraFlags: string[];
}

/** The session row as connect-session-knex stores it, and the member context of its user. */
export interface SessionWithMember {
  /** The session JSON, or null when there is no such session or it has expired. */
  sess: string | null;
  /** The user the membership was found for (the session's passport user). */
  userId: number | null;
  member: MemberContext | undefined;
}

/**
 * The membership (contact + account with its counters) and, in two more columns, the contact's
 * explicit grants and its groups' flags, each as one comma-separated list (`group_concat`'s
 * default separator on both databases; permission keys hold no commas). One row, one round trip;
 * each part an index lookup: the contact by account and user, the account by id, the grants by
 * contact, the group flags by group. (It was a UNION ALL of three branches: one row per flag, and
 * MariaDB spent ~270 µs of CPU on it against ~140 µs for this.)
 */
const MEMBER_COLUMNS = `a.id as account_id, a.name as account_name, a.owner_contact_id, c.id as contact_id, c.name as contact_name,
       c.status, c.profile, a.seat_limit, a.active_count, a.pending_count, a.deactivated_count, c.user_id,
       (select group_concat(cp.permission_key) from contact_permissions cp where cp.contact_id = c.id) as grants,
       (select group_concat(gp.permission_key) from group_members gm join group_permissions gp on gp.group_id = gm.group_id
         where gm.contact_id = c.id) as group_flags`;

/**
 * The contact is found by its user (a handful of rows per user) on MySQL, named: with `account_id
 * = ?` in the condition, MariaDB first estimated that account's range in each of the four indexes
 * that start with it, by walking their B-trees: at 100,000 contacts and 8 concurrent requests that
 * cost ~60 µs of its CPU on every page view, more than reading the row.
 */
const contactsByUser = (db: Knex) => (isMysql(db) ? 'contacts c force index (contacts_user_id_index)' : 'contacts c');

/** Found by account and user: bindings `[accountId, userId]`. */
export function memberContextSql(db: Knex): string {
  return `select ${MEMBER_COLUMNS}
  from ${contactsByUser(db)} join accounts a on a.id = c.account_id
 where c.account_id = ? and c.user_id = ?`;
}

/**
 * Session and member context in one statement, for a request to an account page: the session row
 * (by sid, unexpired, exactly as connect-session-knex reads it) and the member context of the
 * user that session is signed in as (`passport.user.id` inside the session JSON), NULLs when
 * there is none. Bindings: `[accountId, sid, now]`.
 */
export function sessionWithMemberSql(db: Knex): string {
  // The store's own test for an unexpired row, on the aliased column.
  const fresh = expiredCondition(db).replace(/\bexpired\b/, 's.expired');
  return `select s.sess, ${MEMBER_COLUMNS}
  from sessions s
  left join ${contactsByUser(db)} on c.user_id = ${sessionUserSql(db, 's.sess')} and c.account_id = ?
  left join accounts a on a.id = c.account_id
 where s.sid = ? and ${fresh}`;
}

type Id = number | string | null;
/** Unsigned ids may come back as DECIMAL strings from MySQL; the lists as Buffers from some drivers. */
interface Row {
  sess?: string | null;
  account_id: Id; account_name: string | null; owner_contact_id: Id; contact_id: Id; contact_name: string | null;
  status: string | null; profile: string | null; seat_limit: Id; active_count: Id; pending_count: Id;
  deactivated_count: Id; user_id: Id; grants: string | Buffer | null; group_flags: string | Buffer | null;
}

const num = (v: Id) => Number(v);
const list = (v: string | Buffer | null) => (v === null || v === undefined ? [] : String(v).split(','));

function memberOf(r: Row | undefined): MemberContext | undefined {
  if (!r || r.contact_id === null || r.account_id === null) return undefined;
  return {
    membership: {
      account_id: num(r.account_id), account_name: String(r.account_name), owner_contact_id: r.owner_contact_id === null ? null : num(r.owner_contact_id),
      contact_id: num(r.contact_id), contact_name: String(r.contact_name), status: String(r.status), profile: String(r.profile),
      seat_limit: num(r.seat_limit), active_count: num(r.active_count), pending_count: num(r.pending_count), deactivated_count: num(r.deactivated_count),
    },
    extraFlags: [...new Set([...list(r.grants), ...list(r.group_flags)])],
  };
}

export class MemberContextRepository {
  private sessionSql: string | undefined;
  private memberSql: string | undefined;

  constructor(private readonly db: Knex) {}

  /** The user's contact in the account with its extra flags, or undefined when they have none there. */
  async load(accountId: number, userId: number): Promise<MemberContext | undefined> {
    this.memberSql ??= memberContextSql(this.db);
    const [row] = await rawRows<Row>(this.db, this.memberSql, [accountId, userId]);
    return memberOf(row);
  }

  /** The session `sid` and, when it is signed in, its user's member context in the account. */
  async loadWithSession(sid: string, accountId: number, now = new Date()): Promise<SessionWithMember> {
    this.sessionSql ??= sessionWithMemberSql(this.db);
    const clock = dateAsISO(this.db, now) as string; // the store's "now", as its get() passes it
    const [row] = await rawRows<Row>(this.db, this.sessionSql, [accountId, sid, clock]);
    const member = memberOf(row);
    return { sess: row?.sess ?? null, userId: member && row ? num(row.user_id) : null, member };
  }
}
