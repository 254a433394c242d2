import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { AccountRepository } from '../../server/accounts/accounts.repository';
import { ContactLedger } from '../../server/contacts/contact-ledger';
import type { ContactStatus } from '../../server/contacts/contacts.repository';
import { hashPassword } from '../../server/users/passwords';
import { UserRepository } from '../../server/users/users.repository';

export const PASSWORD = 'correct horse battery';
let hash: Promise<string> | undefined;
const passwordHash = () => (hash ??= hashPassword(PASSWORD));

export const uniqueEmail = (prefix = 'user') => `${prefix}.${randomBytes(5).toString('hex')}@example.test`;

export interface AccountFixture {
  accountId: number;
  admin: { userId: number; contactId: number; email: string; name: string };
}

/** An account with its primary administrator (who can log in with PASSWORD). */
export async function createAccount(db: Knex, options: { name?: string; seatLimit?: number } = {}): Promise<AccountFixture> {
  const accounts = new AccountRepository(db);
  const email = uniqueEmail('owner');
  const name = 'Ana Administradora';
  const passwordHashValue = await passwordHash();
  return db.transaction(async (trx) => {
    const accountId = await accounts.create(trx, { name: options.name ?? `Empresa ${randomBytes(3).toString('hex')}`, document: null, seatLimit: options.seatLimit });
    const userId = await new UserRepository(db).create(trx, { email, name, passwordHash: passwordHashValue });
    const ledger = new ContactLedger(db);
    const [contactId] = (await ledger.enter(trx, await ledger.lockAccount(trx, accountId), [{ user_id: userId, status: 'active', profile: 'administrator', name, email, country: 'BR' }])) as [number];
    await accounts.update(trx, accountId, { owner_contact_id: contactId });
    return { accountId, admin: { userId, contactId, email, name } };
  });
}

/** A contact who can log in, in the given account, with the given profile and status. */
export async function addMember(
  db: Knex,
  accountId: number,
  options: { profile?: string; status?: ContactStatus; name?: string; email?: string } = {},
): Promise<{ userId: number; contactId: number; email: string; name: string }> {
  const email = options.email ?? uniqueEmail('member');
  const name = options.name ?? 'Bruno Membro';
  const status = options.status ?? 'active';
  const passwordHashValue = await passwordHash();
  return db.transaction(async (trx) => {
    const users = new UserRepository(db);
    const userId = (await users.findByEmail(email, trx))?.id ?? (await users.create(trx, { email, name, passwordHash: passwordHashValue }));
    const ledger = new ContactLedger(db);
    const [contactId] = (await ledger.enter(trx, await ledger.lockAccount(trx, accountId), [{ user_id: userId, status, profile: options.profile ?? 'member', name, email, country: 'BR' }])) as [number];
    return { userId, contactId, email, name };
  });
}

/**
 * A pending contact made active as if the person had accepted the invitation and confirmed the
 * e-mail (that path is tested end to end in test/integration/invitations*.test.ts): for tests of
 * what an administrator does with active contacts added through the form.
 */
export async function activatePending(db: Knex, accountId: number, contactId: number): Promise<void> {
  await db.transaction(async (trx) => {
    const contact = await trx('contacts').where({ id: contactId, account_id: accountId, status: 'pending' }).first('id', 'status');
    if (!contact) throw new Error(`contact ${contactId} is not pending in account ${accountId}`);
    const ledger = new ContactLedger(db);
    await ledger.move(trx, await ledger.lockAccount(trx, accountId), contact, 'active');
    await trx('invitations').where({ contact_id: contactId }).whereNull('accepted_at').update({ accepted_at: new Date(), confirmed_at: new Date() });
  });
}
