/**
 * The contacts directory of the plugin context: what a plugin may read of core's contacts, always
 * through the account of the request it is handed, and usable inside the plugin's own transaction.
 */
import type { Request } from 'express';
import { expect } from 'chai';
import { AuditService } from '../../server/audit/audit.service';
import { PermissionService } from '../../server/permissions/permissions.service';
import { contactsDirectory } from '../../server/composition/contacts-directory';
import type { ContactsDirectory } from '../../server/plugins/contract';
import { addMember, createAccount, type AccountFixture } from '../support/fixtures';
import { sharedPortal, type TestPortal } from '../support/portal';

/** What the account context leaves on a request below /accounts/:id. */
const requestIn = (accountId: number) => ({ ctx: { account: { id: accountId } } }) as unknown as Request;

describe('the plugin contacts directory', () => {
  let portal: TestPortal;
  let contacts: ContactsDirectory;
  let account: AccountFixture;
  let other: AccountFixture;
  let req: Request;
  let ids: { member: number; inactive: number; custom: number; stranger: number };

  before(async () => {
    portal = await sharedPortal();
    contacts = contactsDirectory(portal.db, new PermissionService(portal.db, portal.registry, new AuditService()));
    account = await createAccount(portal.db);
    other = await createAccount(portal.db);
    req = requestIn(account.accountId);
    ids = {
      member: (await addMember(portal.db, account.accountId, { name: 'Beatriz Membro' })).contactId,
      inactive: (await addMember(portal.db, account.accountId, { name: 'Davi Desativado', status: 'deactivated' })).contactId,
      custom: (await addMember(portal.db, account.accountId, { name: 'Caio Personalizado', profile: 'custom' })).contactId,
      stranger: (await addMember(portal.db, other.accountId, { name: 'Estela Estranha' })).contactId,
    };
  });

  it("finds a contact of the request's account whatever its status, never another account's", async () => {
    expect(await contacts.find(req, ids.inactive)).to.deep.include({ id: ids.inactive, name: 'Davi Desativado', status: 'deactivated', profile: 'member' });
    expect(await contacts.find(req, ids.stranger)).to.equal(undefined);
    expect(await contacts.find(requestIn(other.accountId), ids.stranger)).to.deep.include({ name: 'Estela Estranha', status: 'active' });
    expect(await contacts.find(req, 0)).to.equal(undefined);
  });

  it("of(accountId, trx), for hooks and seeds: the same answers for that one account inside the transaction, never another account's", async () => {
    await portal.db.transaction(async (trx) => {
      const here = contacts.of(account.accountId, trx);
      expect(await here.find(ids.stranger)).to.equal(undefined);
      expect(await here.displayName(ids.member)).to.equal('Beatriz Membro');
      expect((await here.listActive()).map((c) => c.name)).to.deep.equal(['Ana Administradora', 'Beatriz Membro', 'Caio Personalizado']);
      expect((await here.listActive({ holding: 'cloud.control-center' })).map((c) => c.name)).to.deep.equal(['Ana Administradora', 'Beatriz Membro']);
      expect([...(await here.flagsOf(ids.stranger))]).to.deep.equal([]);
      expect(await contacts.of(other.accountId, trx).displayName(ids.stranger)).to.equal('Estela Estranha');
    });
  });

  it('names a contact, or answers null for an id the account does not have', async () => {
    expect(await contacts.displayName(req, ids.member)).to.equal('Beatriz Membro');
    expect(await contacts.displayName(req, ids.stranger)).to.equal(null);
    expect(await contacts.displayName(req, 999999999)).to.equal(null);
  });

  it("names several contacts in one read, leaving out ids the account does not have (another account's, unknown, not ids)", async () => {
    const names = await contacts.displayNames(req, [ids.member, ids.inactive, ids.stranger, 999999999, 0, -1, ids.member]);
    expect([...names.entries()].sort((a, b) => a[0] - b[0])).to.deep.equal([[ids.member, 'Beatriz Membro'], [ids.inactive, 'Davi Desativado']].sort((a, b) => Number(a[0]) - Number(b[0])));
    await portal.db.transaction(async (trx) => {
      expect([...(await contacts.of(other.accountId, trx).displayNames([ids.member, ids.stranger])).values()]).to.deep.equal(['Estela Estranha']);
    });
    expect((await contacts.displayNames(req, [])).size).to.equal(0);
  });

  it('lists the active contacts by name; with holding, only the holders of the flag', async () => {
    const all = (await contacts.listActive(req)).map((c) => c.name);
    expect(all).to.deep.equal(['Ana Administradora', 'Beatriz Membro', 'Caio Personalizado']);
    // cloud.control-center: the owner holds everything; members by profile; Personalizado without grants does not.
    const holders = (await contacts.listActive(req, { holding: 'cloud.control-center' })).map((c) => c.name);
    expect(holders).to.deep.equal(['Ana Administradora', 'Beatriz Membro']);
  });

  it("answers a contact's flags by the rule of can(): the owner every flag but the narrowing ones; nothing for inactive or another account's", async () => {
    await portal.db('contact_permissions').insert({ contact_id: ids.custom, permission_key: 'support.bpo-full' });
    try {
      const owner = await contacts.flagsOf(req, account.admin.contactId);
      expect(owner.has('support.bpo-full')).to.equal(true);
      expect(owner.has('support.restricted')).to.equal(false);
      expect([...(await contacts.flagsOf(req, ids.member))]).to.include('support.portal').and.not.include('support.bpo-full');
      // Inside a transaction, as a plugin reads a receiver's flags in its own.
      const custom = await portal.db.transaction((trx) => contacts.flagsOf(req, ids.custom, trx));
      expect([...custom]).to.deep.equal(['support.bpo-full']);
      expect((await contacts.flagsOf(req, ids.inactive)).size).to.equal(0);
      expect((await contacts.flagsOf(req, ids.stranger)).size).to.equal(0);
    } finally {
      await portal.db('contact_permissions').where({ contact_id: ids.custom }).delete();
    }
  });

  it("answers the same inside a plugin's transaction when handed it (SQLite has one connection)", async () => {
    const inside = await portal.db.transaction(async (trx) => ({
      all: (await contacts.listActive(req, { trx })).map((c) => c.id),
      holders: (await contacts.listActive(req, { holding: 'cloud.control-center', trx })).map((c) => c.id),
      found: (await contacts.find(req, ids.custom, trx))?.name,
      name: await contacts.displayName(req, ids.member, trx),
    }));
    expect(inside).to.deep.equal({
      all: [account.admin.contactId, ids.member, ids.custom],
      holders: [account.admin.contactId, ids.member],
      found: 'Caio Personalizado',
      name: 'Beatriz Membro',
    });
  });
});
