/**
 * `npm run account:seats -- <account> [<seats>]`: the operator shows or changes an account's seat
 * limit. <account> is the account id or its exact name. A limit below the seats in use (active +
 * pending contacts) is refused; a change is written to the account's audit trail as
 * "operator (CLI)".
 */
import type { Knex } from 'knex';
import { AccountRepository, type AccountRow } from '../accounts/accounts.repository';
import { AuditService, type Actor } from '../audit/audit.service';
import { loadConfig } from '../config';
import { createDb } from '../db/knex';
import { assertMigrated, CliError, describeDatabase, isMain, runCli, type Print } from './common';
import { inTransaction } from '../db/transaction';

export const OPERATOR: Actor = { userId: null, contactId: null, name: 'operator (CLI)' };
export const MAX_SEAT_LIMIT = 1_000_000;
const USAGE = 'usage: npm run account:seats -- <account id or exact name> [<seats>]';

export const seatsInUse = (a: Pick<AccountRow, 'active_count' | 'pending_count'>) => Number(a.active_count) + Number(a.pending_count);

export function parseSeatLimit(value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_SEAT_LIMIT) {
    throw new CliError(`the seat limit must be a whole number from 1 to ${MAX_SEAT_LIMIT} (got "${value}")`);
  }
  return n;
}

/** The account with this id, else the one with exactly this name; refuses an ambiguous name. */
export async function findAccount(db: Knex | Knex.Transaction, ref: string): Promise<AccountRow> {
  const accounts = new AccountRepository(db as Knex);
  const wanted = ref.trim();
  if (!wanted) throw new CliError(USAGE);
  if (/^\d+$/.test(wanted)) {
    const byId = await accounts.findById(Number(wanted), db);
    if (byId) return byId;
  }
  const byName: { id: number }[] = await db('accounts').select('id').where({ name: wanted }).orderBy('id');
  if (byName.length > 1) {
    throw new CliError(`${byName.length} accounts are named "${wanted}" (ids ${byName.map((r) => r.id).join(', ')}): give the id instead`);
  }
  const found = byName[0] && (await accounts.findById(byName[0].id, db));
  if (!found) throw new CliError(`no account with id or exact name "${wanted}"`);
  return found;
}

export interface SeatChange {
  account: AccountRow;
  before: number;
  after: number;
  inUse: number;
  changed: boolean;
}

/**
 * Sets the seat limit in one transaction that locks the account row, so a contact added at the same
 * moment cannot slip past the check. Throws CliError when the limit is below the seats in use.
 */
export async function setSeatLimit(db: Knex, ref: string, limit: number | string, audit = new AuditService()): Promise<SeatChange> {
  const after = typeof limit === 'number' ? parseSeatLimit(String(limit)) : parseSeatLimit(limit);
  const accounts = new AccountRepository(db);
  return inTransaction(db, async (trx) => {
    const found = await findAccount(trx, ref);
    const account = (await accounts.lock(trx, found.id))!;
    const before = Number(account.seat_limit);
    const inUse = seatsInUse(account);
    if (after < inUse) {
      throw new CliError(
        `refused: "${account.name}" (id ${account.id}) has ${inUse} seats in use ` +
          `(${account.active_count} active + ${account.pending_count} pending); the limit cannot go below ${inUse}. ` +
          'Deactivate contacts or revoke invitations first.',
      );
    }
    if (after === before) return { account, before, after, inUse, changed: false };
    await accounts.update(trx, account.id, { seat_limit: after });
    await audit.record(trx, OPERATOR, {
      accountId: account.id,
      action: 'account.seats_changed',
      target: { type: 'account', id: account.id },
      details: { before: { seat_limit: before }, after: { seat_limit: after }, in_use: inUse },
    });
    return { account: { ...account, seat_limit: after }, before, after, inUse, changed: true };
  });
}

const usage = (a: AccountRow, limit = Number(a.seat_limit)) =>
  `${seatsInUse(a)} of ${limit} seats in use (${a.active_count} active + ${a.pending_count} pending; ${a.deactivated_count} deactivated use none)`;

export async function accountSeatsCommand(args: string[], env: NodeJS.ProcessEnv = process.env, print: Print = console.log): Promise<number> {
  if (args.length < 1 || args.length > 2) throw new CliError(USAGE);
  const [ref, limit] = args as [string, string | undefined];
  const seats = limit === undefined ? undefined : parseSeatLimit(limit);
  const config = loadConfig(env);
  const db = createDb(config.database);
  try {
    print(`Database: ${describeDatabase(config.database)}`);
    await assertMigrated(db);
    if (seats === undefined) {
      const account = await findAccount(db, ref);
      print(`"${account.name}" (id ${account.id}): ${usage(account)}.`);
      return 0;
    }
    const change = await setSeatLimit(db, ref, seats);
    const name = `"${change.account.name}" (id ${change.account.id})`;
    if (change.changed) print(`${name}: seat limit ${change.before} → ${change.after}; ${usage(change.account)}. Audit event written as "${OPERATOR.name}".`);
    else print(`${name}: the seat limit is already ${change.after}; nothing changed. ${usage(change.account)}.`);
    return 0;
  } finally {
    await db.destroy();
  }
}

if (isMain(import.meta.url)) runCli('account:seats', () => accountSeatsCommand(process.argv.slice(2)));
