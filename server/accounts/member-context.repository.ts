import { dateAsISO, expiredCondition } from 'connect-session-knex/dist/utils.js';
import type { Knex } from 'knex';
import { sessionUserSql } from '../auth/sessions.repository';
import { rawRows } from '../db/knex';
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
 * Where the contact comes from: `c` is the contact of the user in the account. The branches below
 * are the same for both ways in.
 */
interface ContactSource {
  from: string;
  where: string;
}

const NULLS = Array.from({ length: 12 }, () => 'null').join(', ');

/**
 * One statement, one round trip: the membership row (contact + account with its counters) and, as
 * further rows, the contact's explicit and group flags. Each branch is an index lookup: contacts by
 * user (then account), the grants by contact, the group flags by group. A separate query per part
 * cost a network write and a pass through knex and the driver each, on every page view.
 */
function memberBranches({ from, where }: ContactSource): string {
  return `
select 'm' as kind, a.id as account_id, a.name as account_name, a.owner_contact_id, c.id as contact_id,
       c.name as contact_name, c.status, c.profile, a.seat_limit, a.active_count, a.pending_count,
       a.deactivated_count, c.user_id, null as value
  from ${from} join accounts a on a.id = c.account_id
 where ${where}
union all
select 'f', ${NULLS}, cp.permission_key
  from ${from} join contact_permissions cp on cp.contact_id = c.id
 where ${where}
union all
select 'f', ${NULLS}, gp.permission_key
  from ${from} join group_members gm on gm.contact_id = c.id join group_permissions gp on gp.group_id = gm.group_id
 where ${where}`;
}

/** Found by account and user: bindings [accountId, userId] for each of the three branches. */
export const MEMBER_CONTEXT_SQL = memberBranches({ from: 'contacts c', where: 'c.account_id = ? and c.user_id = ?' });

/**
 * Session and member context in one statement, for a request to an account page: the session row
 * (by sid, unexpired, exactly as connect-session-knex reads it) and the member context of the
 * user that session is signed in as (`passport.user.id` inside the session JSON). Bindings:
 * [sid, now, accountId] for each member branch, then [sid, now] for the session.
 */
export function sessionWithMemberSql(db: Knex): string {
  const userOfSession = sessionUserSql(db, 's.sess');
  // The store's own test for an unexpired row, on the aliased column.
  const fresh = expiredCondition(db).replace(/\bexpired\b/, 's.expired');
  // The session branch comes last: a UNION's column names are those of its first SELECT.
  return `${memberBranches({ from: `sessions s join contacts c on c.user_id = ${userOfSession}`, where: `s.sid = ? and ${fresh} and c.account_id = ?` })}
union all
select 's', ${NULLS}, s.sess from sessions s where s.sid = ? and ${fresh}`;
}

type Id = number | string | null;
/** A row of the UNION: unsigned ids come back as DECIMAL strings from MySQL (they meet NULLs). */
interface Row {
  kind: 's' | 'm' | 'f';
  account_id: Id; account_name: string | null; owner_contact_id: Id; contact_id: Id; contact_name: string | null;
  status: string | null; profile: string | null; seat_limit: Id; active_count: Id; pending_count: Id;
  deactivated_count: Id; user_id: Id; value: string | null;
}

const num = (v: Id) => Number(v);

function membershipOf(r: Row): Membership {
  return {
    account_id: num(r.account_id), account_name: String(r.account_name), owner_contact_id: r.owner_contact_id === null ? null : num(r.owner_contact_id),
    contact_id: num(r.contact_id), contact_name: String(r.contact_name), status: String(r.status), profile: String(r.profile),
    seat_limit: num(r.seat_limit), active_count: num(r.active_count), pending_count: num(r.pending_count), deactivated_count: num(r.deactivated_count),
  };
}

function collect(rows: Row[]): SessionWithMember {
  let sess: string | null = null;
  let userId: number | null = null;
  let membership: Membership | undefined;
  const extraFlags = new Set<string>();
  for (const row of rows) {
    if (row.kind === 's') sess = row.value;
    else if (row.kind === 'f') {
      if (row.value !== null) extraFlags.add(row.value);
    } else {
      userId = num(row.user_id);
      membership = membershipOf(row);
    }
  }
  return { sess, userId, member: membership && { membership, extraFlags: [...extraFlags] } };
}

export class MemberContextRepository {
  private sessionSql: string | undefined;

  constructor(private readonly db: Knex) {}

  /** The user's contact in the account with its extra flags, or undefined when they have none there. */
  async load(accountId: number, userId: number): Promise<MemberContext | undefined> {
    const rows = await rawRows<Row>(this.db, MEMBER_CONTEXT_SQL, [accountId, userId, accountId, userId, accountId, userId]);
    return collect(rows).member;
  }

  /** The session `sid` and, when it is signed in, its user's member context in the account. */
  async loadWithSession(sid: string, accountId: number, now = new Date()): Promise<SessionWithMember> {
    this.sessionSql ??= sessionWithMemberSql(this.db);
    const clock = dateAsISO(this.db, now) as string; // the store's "now", as its get() passes it
    const member = [sid, clock, accountId];
    return collect(await rawRows<Row>(this.db, this.sessionSql, [...member, ...member, ...member, sid, clock]));
  }
}
