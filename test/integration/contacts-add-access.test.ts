import { expect } from 'chai';
import { addMember, createAccount, PASSWORD } from '../support/fixtures';
import { loggedIn, sharedPortal, type TestPortal } from '../support/portal';
import { auditEventsOf, contactsOf, decode, newAdmin, postForm, validContact, type Admin } from './helpers/contacts';
import { storedGrants } from './helpers/permissions';

/**
 * "Adicionar usuário" chooses the access before the invitation goes (#24 item 5): a profile, or
 * "Personalizado" with its flags, under the batch invitation's rule (nobody grants what they do
 * not hold); the end page names the person and leads to "Pendentes".
 */
describe('contacts: the add form chooses the access the invitation carries', () => {
  let portal: TestPortal;
  const accountIds: number[] = [];
  before(async () => {
    portal = await sharedPortal();
  });

  const added = async (s: Admin, email: string) => (await contactsOf(portal.db, s.accountId)).find((c) => c.email === email);

  it('a built-in profile: the pending contact has it, and the audit says so', async () => {
    const s = await newAdmin(portal, accountIds);
    const form = validContact({ profile: 'observer' });
    const res = await postForm(s, '', form);
    expect(res.status).to.equal(303);
    const contact = await added(s, form.email!);
    expect(contact).to.include({ status: 'pending', profile: 'observer' });
    const [event] = (await auditEventsOf(portal.db, s.accountId, Number(contact!.id))).filter((e) => e.action === 'contact.created');
    expect(JSON.stringify(event!.details)).to.contain('"profile":"observer"');

    // The end page names the person and leads to "Pendentes".
    const end = decode((await s.agent.get(res.headers.location!)).text);
    expect(end).to.contain(`Convite enviado para ${form.name} (${form.email}).`);
    expect(end).to.match(/<a class="button" href="\/accounts\/\d+\/contacts\?status=pending">Ver pendentes<\/a>/);
  });

  it('"Personalizado": the chosen flags are stored with the pending contact', async () => {
    const s = await newAdmin(portal, accountIds);
    const form = { ...validContact({ profile: 'custom' }) };
    const res = await s.agent.post(s.base).type('form').send(`_csrf=${encodeURIComponent(s.csrf)}&${new URLSearchParams(form).toString()}&flags=audit.view&flags=documents.download`);
    expect(res.status).to.equal(303);
    const contact = await added(s, form.email!);
    expect(contact).to.include({ status: 'pending', profile: 'custom' });
    expect(await storedGrants(portal.db, Number(contact!.id))).to.deep.equal(['audit.view', 'documents.download']);
  });

  it('an unknown profile or flag is refused on the form, nothing written', async () => {
    const s = await newAdmin(portal, accountIds);
    const bad = validContact({ profile: 'owner' });
    expect((await postForm(s, '', bad)).status).to.equal(422);
    const unknown = validContact({ profile: 'custom', flags: 'contacts.everything' });
    expect((await postForm(s, '', unknown)).status).to.equal(422);
    expect(await added(s, bad.email!)).to.equal(undefined);
    expect(await added(s, unknown.email!)).to.equal(undefined);
  });

  it('an administrator cannot grant a flag they do not hold: 403, no contact, no invitation', async () => {
    const { accountId } = await createAccount(portal.db);
    const limited = await addMember(portal.db, accountId, { profile: 'custom', name: 'Lia Limitada' });
    await portal.db('contact_permissions').insert([{ contact_id: limited.contactId, permission_key: 'contacts.manage' }]);
    const { agent, csrf } = await loggedIn(portal, limited.email, PASSWORD);
    const tries: Record<string, string>[] = [{ profile: 'administrator' }, { profile: 'custom', flags: 'audit.view' }];
    for (const extra of tries) {
      const form = validContact(extra);
      const res = await agent.post(`/accounts/${accountId}/contacts`).type('form').send({ _csrf: csrf, ...form });
      expect(res.status).to.equal(403);
      expect((await contactsOf(portal.db, accountId)).some((c) => c.email === form.email)).to.equal(false);
    }
    expect(await portal.db('invitations').where({ account_id: accountId }).count({ n: '*' }).first()).to.deep.include({ n: 0 });
    // What they hold, they may give.
    const ok = validContact({ profile: 'custom', flags: 'contacts.manage' });
    expect((await agent.post(`/accounts/${accountId}/contacts`).type('form').send({ _csrf: csrf, ...ok })).status).to.equal(303);
  });

  it("another company's account in the URL: refused, nothing added there", async () => {
    const s = await newAdmin(portal, accountIds);
    const other = await createAccount(portal.db);
    const form = validContact({ profile: 'member' });
    const res = await s.agent.post(`/accounts/${other.accountId}/contacts`).type('form').send({ _csrf: s.csrf, ...form });
    expect([403, 404]).to.include(res.status);
    expect((await contactsOf(portal.db, other.accountId)).map((c) => c.email)).not.to.include(form.email);
  });
});
