import type { Knex } from 'knex';
import { isMysql } from '../db/knex';

/**
 * The user a stored session is signed in as: passport's `user.id` inside the session JSON; NULL
 * for a row that is not JSON (SQLite's json_extract would fail the whole statement on it).
 */
function sessionUserSql(db: Knex | Knex.Transaction, column: string): string {
  const id = isMysql(db) ? `cast(json_value(${column}, '$.passport.user.id') as unsigned)` : `cast(json_extract(${column}, '$.passport.user.id') as integer)`;
  return `case when json_valid(${column}) then ${id} end`;
}

/** The `sessions` table connect-session-knex keeps, seen by user. */
export class SessionRepository {
  /**
   * Ends every session of the user except `keepSid` (the browser that asked): their next request
   * finds no session and goes to the login page, in every app process. Reads the whole table: it
   * runs on a password change, not per request.
   */
  /** Every session of the user (an erased login), in every app process. */
  endAll(q: Knex | Knex.Transaction, userId: number): Promise<number> {
    return this.endOthers(q, userId, undefined);
  }

  endOthers(q: Knex | Knex.Transaction, userId: number, keepSid: string | undefined): Promise<number> {
    const rows = q('sessions').whereRaw(`${sessionUserSql(q, 'sess')} = ?`, [userId]);
    if (keepSid) rows.whereNot('sid', keepSid);
    return rows.delete();
  }
}
