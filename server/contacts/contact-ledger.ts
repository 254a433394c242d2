import type { Knex } from 'knex';
import { AccountRepository, type AccountRow } from '../accounts/accounts.repository';
import { NotFound, SeatLimitReached } from '../errors';
import { ContactRepository, type ContactPatch, type ContactRow, type ContactStatus, type NewContact } from './contacts.repository';

const usesSeat = (status: ContactStatus) => status !== 'deactivated';
type Counters = Pick<AccountRow, 'active_count' | 'pending_count' | 'deactivated_count'>;
const counterOf = (status: ContactStatus) => `${status}_count` as const;

/**
 * The one place a contact row enters an account, changes status or leaves it, and the account's
 * per-status counters with it: every writer (the contact form, invitations, their acceptance,
 * setup, the demo seed, the test kits) goes through here, so the counters the list and the seat
 * gauge read stay equal to the rows, and no writer forgets the seat check. The account row is
 * locked once per transaction (lockAccount) and handed to the other methods, which keep its
 * counters current as they go.
 */
export class ContactLedger {
  private readonly accounts: AccountRepository;
  private readonly contacts = new ContactRepository();

  constructor(db: Knex) {
    this.accounts = new AccountRepository(db);
  }

  /** Locks the account row until the transaction ends (seat checks, counters, ownership); 404 when gone. */
  async lockAccount(trx: Knex.Transaction, accountId: number): Promise<AccountRow> {
    const account = await this.accounts.lock(trx, accountId);
    if (!account) throw new NotFound();
    return account;
  }

  /** Free seats of a locked account: pending and active contacts use one each. */
  freeSeats(account: Counters & Pick<AccountRow, 'seat_limit'>): number {
    return Math.max(0, account.seat_limit - account.active_count - account.pending_count);
  }

  /**
   * New contacts of a locked account, all or none: past the seat limit nothing is written and
   * `full(needed, free)` is thrown (SeatLimitReached unless the caller words it its own way).
   */
  async enter(trx: Knex.Transaction, account: AccountRow, people: Omit<NewContact, 'account_id'>[], full: (needed: number, free: number) => Error = () => new SeatLimitReached()): Promise<number[]> {
    const needed = people.filter((p) => usesSeat(p.status)).length;
    const free = this.freeSeats(account);
    if (needed > free) throw full(needed, free);
    const idOf = await this.contacts.insertMany(trx, account.id, people.map((p) => ({ ...p, account_id: account.id })));
    const ids = people.map((p) => idOf.get(p.email.toLowerCase())!);
    // One pass: an import enters hundreds per call, and a count per person made it quadratic.
    const delta: Partial<Record<ContactStatus, number>> = {};
    for (const p of people) delta[p.status] = (delta[p.status] ?? 0) + 1;
    await this.count(trx, account, delta);
    return ids;
  }

  /** A contact of a locked account moves to another status; taking a seat again checks the limit. */
  async move(trx: Knex.Transaction, account: AccountRow, contact: Pick<ContactRow, 'id' | 'status'>, to: ContactStatus, patch: ContactPatch = {}): Promise<void> {
    const from = contact.status;
    if (from !== to && usesSeat(to) && !usesSeat(from) && this.freeSeats(account) < 1) throw new SeatLimitReached();
    await this.contacts.update(trx, account.id, contact.id, { ...patch, status: to });
    if (from !== to) await this.count(trx, account, { [from]: -1, [to]: 1 });
  }

  /** A contact leaves a locked account (its seat, if it used one, is free again). */
  async remove(trx: Knex.Transaction, account: AccountRow, contact: Pick<ContactRow, 'id' | 'status'>): Promise<void> {
    await this.contacts.delete(trx, account.id, contact.id);
    await this.count(trx, account, { [contact.status]: -1 });
  }

  private async count(trx: Knex.Transaction, account: AccountRow, delta: Partial<Record<ContactStatus, number>>): Promise<void> {
    await this.accounts.adjustCounters(trx, account.id, delta);
    for (const [status, n] of Object.entries(delta) as [ContactStatus, number][]) account[counterOf(status)] += n;
  }
}
