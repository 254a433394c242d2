import { expect } from 'chai';
import { formValues } from '../../server/contacts/contact-form';
import type { Acting } from '../../server/audit/actor';
import type { ContactService } from '../../server/contacts/contacts.service';
import { createI18n } from '../../server/i18n';
import { createServices } from '../../server/services';
import { SeatLimitReached } from '../../server/errors';
import { addMember } from '../support/fixtures';
import { sharedPortal, type TestPortal } from '../support/portal';
import { auditEventsOf, newAdmin, postForm, type Admin, contactsOf, countersOf, decode, distinctCpf, expectCountersExact, flashes, inputValue, listedNames, validContact } from './helpers/contacts';

const SEAT_LIMIT = 'Recurso necessário: não há licenças disponíveis para novos usuários';
const CONCURRENT = 20;

describe('seat limit', () => {
  let portal: TestPortal;
  const accountIds: number[] = [];

  before(async () => {
    portal = await sharedPortal();
  });

  after(async () => {
    await expectCountersExact(portal.db, accountIds);
  });

  const newAccount = (seatLimit: number) => newAdmin(portal, accountIds, { seatLimit });
  const add = (s: Admin, form: Record<string, string>) => postForm(s, '', form);
  const post = (s: Admin, path: string) => postForm(s, path);
  const status = async (id: number) => (await portal.db('contacts').where({ id }).first('status')).status as string;

  /** The whole state a refused operation must leave untouched. */
  const snapshot = async (accountId: number) => ({
    contacts: await contactsOf(portal.db, accountId),
    events: await auditEventsOf(portal.db, accountId),
    counters: await countersOf(portal.db, accountId),
    users: Number((await portal.db('users').count({ n: '*' }).first())!.n),
  });

  describe('adding', () => {
    it('at the limit is refused with "Recurso necessário…", typed values kept, and nothing written', async () => {
      const s = await newAccount(3);
      await addMember(portal.db, s.accountId);
      await addMember(portal.db, s.accountId);
      expect((await s.agent.get(s.base)).text).to.contain('3 de 3 licenças em uso');
      const before = await snapshot(s.accountId);

      const form = validContact({ name: 'Sem Licença' });
      const res = await add(s, form);
      expect(res.status).to.equal(409);
      expect(decode(res.text)).to.contain(SEAT_LIMIT);
      expect(inputValue(res.text, 'name')).to.equal('Sem Licença');
      expect(inputValue(res.text, 'email')).to.equal(form.email);
      expect(inputValue(res.text, 'document')).to.equal(form.document);

      expect(await snapshot(s.accountId)).to.deep.equal(before);
      expect(listedNames((await s.agent.get(s.base)).text)).not.to.include('Sem Licença');
      await expectCountersExact(portal.db, s.accountId);
    });

    it('pending contacts use seats', async () => {
      const s = await newAccount(2);
      await addMember(portal.db, s.accountId, { status: 'pending' });
      expect((await s.agent.get(s.base)).text).to.contain('2 de 2 licenças em uso');
      const before = await snapshot(s.accountId);
      const res = await add(s, validContact());
      expect(res.status).to.equal(409);
      expect(decode(res.text)).to.contain(SEAT_LIMIT);
      expect(await snapshot(s.accountId)).to.deep.equal(before);
    });

    it('deactivated contacts do not use seats', async () => {
      const s = await newAccount(2);
      await addMember(portal.db, s.accountId, { status: 'deactivated' });
      await addMember(portal.db, s.accountId, { status: 'deactivated' });
      expect((await s.agent.get(s.base)).text).to.contain('1 de 2 licenças em uso');
      expect((await add(s, validContact())).status).to.equal(303);
      expect((await s.agent.get(s.base)).text).to.contain('2 de 2 licenças em uso');
      expect((await add(s, validContact())).status).to.equal(409);
      expect(await countersOf(portal.db, s.accountId)).to.deep.equal({ active: 1, pending: 1, deactivated: 2 });
    });

    it('deactivating or removing a contact frees its seat', async () => {
      const s = await newAccount(2);
      const member = await addMember(portal.db, s.accountId);
      expect((await add(s, validContact())).status).to.equal(409);
      expect((await post(s, `/${member.contactId}/deactivate`)).status).to.equal(303);
      const res = await add(s, validContact({ name: 'Na Vaga Liberada' }));
      expect(res.status).to.equal(303);
      const id = Number(/saved=(\d+)/.exec(res.headers.location!)![1]);
      expect((await add(s, validContact())).status).to.equal(409);
      expect((await post(s, `/${id}/delete`)).status).to.equal(303);
      expect((await add(s, validContact())).status).to.equal(303);
      await expectCountersExact(portal.db, s.accountId);
    });

    it('a limit lowered below the usage refuses new contacts and keeps the existing ones', async () => {
      const s = await newAccount(10);
      await addMember(portal.db, s.accountId);
      await addMember(portal.db, s.accountId);
      await portal.db('accounts').where({ id: s.accountId }).update({ seat_limit: 2 });
      expect((await s.agent.get(s.base)).text).to.contain('3 de 2 licenças em uso');
      expect((await add(s, validContact())).status).to.equal(409);
      expect(await countersOf(portal.db, s.accountId)).to.deep.equal({ active: 3, pending: 0, deactivated: 0 });
    });
  });

  describe('reactivating', () => {
    it('at the limit is refused with the message and nothing written', async () => {
      const s = await newAccount(2);
      await addMember(portal.db, s.accountId);
      const sleeper = await addMember(portal.db, s.accountId, { status: 'deactivated', name: 'Dorminhoco' });
      const before = await snapshot(s.accountId);

      const res = await post(s, `/${sleeper.contactId}/reactivate`);
      expect(res.status).to.equal(303);
      expect(res.headers.location).to.equal(`${s.base}/${sleeper.contactId}`);
      const page = await s.agent.get(res.headers.location!);
      expect(flashes(page.text)).to.include(SEAT_LIMIT);
      expect(await snapshot(s.accountId)).to.deep.equal(before);
      expect(await status(sleeper.contactId)).to.equal('deactivated');

      // From the list, the message shows on the list.
      const fromList = await s.agent.post(`${s.base}/${sleeper.contactId}/reactivate`).type('form').send({ _csrf: s.csrf, returnTo: 'list' });
      expect(fromList.headers.location).to.equal(s.base);
      expect(flashes((await s.agent.get(s.base)).text)).to.include(SEAT_LIMIT);
      expect(await snapshot(s.accountId)).to.deep.equal(before);
    });

    it('works again once a seat is free', async () => {
      const s = await newAccount(2);
      const active = await addMember(portal.db, s.accountId);
      const sleeper = await addMember(portal.db, s.accountId, { status: 'deactivated' });
      expect(flashes((await s.agent.get((await post(s, `/${sleeper.contactId}/reactivate`)).headers.location!)).text)).to.include(SEAT_LIMIT);
      await post(s, `/${active.contactId}/deactivate`);
      const res = await post(s, `/${sleeper.contactId}/reactivate`);
      expect(flashes((await s.agent.get(res.headers.location!)).text)).to.include('Usuário reativado.');
      expect(await status(sleeper.contactId)).to.equal('active');
      expect(await countersOf(portal.db, s.accountId)).to.deep.equal({ active: 2, pending: 0, deactivated: 1 });
      await expectCountersExact(portal.db, s.accountId);
    });
  });

  /**
   * The account's usage: the owner, 2 active, 1 pending (4 seats) and 2 deactivated; the limit is
   * usage + 1, so exactly one seat is free.
   */
  async function accountWithOneFreeSeat(): Promise<Admin> {
    const s = await newAccount(5);
    await addMember(portal.db, s.accountId);
    await addMember(portal.db, s.accountId);
    await addMember(portal.db, s.accountId, { status: 'pending' });
    await addMember(portal.db, s.accountId, { status: 'deactivated' });
    await addMember(portal.db, s.accountId, { status: 'deactivated' });
    const c = await countersOf(portal.db, s.accountId);
    expect(c.active + c.pending + 1).to.equal(5);
    return s;
  }

  /** Distinct valid e-mails and distinct valid CPFs (checked, not assumed). */
  function distinctForms(n: number): Record<string, string>[] {
    const forms = Array.from({ length: n }, (_, i) => validContact({ name: `Concorrente ${String(i + 1).padStart(2, '0')}`, document: distinctCpf() }));
    expect(new Set(forms.map((f) => f.email)).size).to.equal(n);
    expect(new Set(forms.map((f) => f.document)).size).to.equal(n);
    return forms;
  }

  /** The app's own wiring (the invitation and its e-mail come with every add). */
  const contactService = async (): Promise<ContactService> =>
    createServices({ config: portal.config, db: portal.db, registry: portal.registry, i18n: await createI18n(portal.registry.catalogs) }).contacts;

  const callerOf = (s: Admin): Acting => ({
    accountId: s.accountId,
    contactId: s.admin.contactId,
    // The primary administrator holds every flag.
    flags: portal.registry.keys,
    actor: { userId: s.admin.userId, contactId: s.admin.contactId, name: s.admin.name },
  });

  describe(`concurrency: ${CONCURRENT} requests for the last free seat`, () => {
    it(`${CONCURRENT} concurrent POSTs (same logged-in agent) create exactly one contact`, async () => {
      const s = await accountWithOneFreeSeat();
      const before = await countersOf(portal.db, s.accountId);
      const forms = distinctForms(CONCURRENT);

      const responses = await Promise.all(forms.map((form) => add(s, form)));

      const created = responses.filter((r) => r.status === 303);
      const refused = responses.filter((r) => r.status === 409);
      expect(responses.map((r) => r.status).sort()).to.deep.equal([303, ...Array<number>(CONCURRENT - 1).fill(409)]);
      expect(created).to.have.length(1);
      for (const r of refused) expect(decode(r.text)).to.contain(SEAT_LIMIT);

      const newRows = (await contactsOf(portal.db, s.accountId)).filter((c) => String(c.name).startsWith('Concorrente'));
      expect(newRows).to.have.length(1);
      expect(created[0]!.headers.location).to.equal(`${s.base}/new?saved=${newRows[0]!.id}`);
      expect(await countersOf(portal.db, s.accountId)).to.deep.equal({ ...before, pending: before.pending + 1 });
      await expectCountersExact(portal.db, s.accountId);
      expect((await auditEventsOf(portal.db, s.accountId)).filter((e) => e.action === 'contact.created')).to.have.length(1);
      expect((await s.agent.get(s.base)).text).to.contain('5 de 5 licenças em uso');
    });

    it(`${CONCURRENT} concurrent ContactService.add calls create exactly one contact`, async () => {
      const s = await accountWithOneFreeSeat();
      const before = await countersOf(portal.db, s.accountId);
      const service = await contactService();
      const forms = distinctForms(CONCURRENT);

      const results = await Promise.allSettled(forms.map((form) => service.add(callerOf(s), formValues(form), 'pt-BR')));

      const fulfilled = results.filter((r): r is PromiseFulfilledResult<number> => r.status === 'fulfilled');
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(fulfilled).to.have.length(1);
      expect(rejected).to.have.length(CONCURRENT - 1);
      for (const r of rejected) expect(r.reason).to.be.instanceOf(SeatLimitReached);

      const newRows = (await contactsOf(portal.db, s.accountId)).filter((c) => String(c.name).startsWith('Concorrente'));
      expect(newRows.map((c) => Number(c.id))).to.deep.equal([fulfilled[0]!.value]);
      expect(await countersOf(portal.db, s.accountId)).to.deep.equal({ ...before, pending: before.pending + 1 });
      await expectCountersExact(portal.db, s.accountId);
      expect((await auditEventsOf(portal.db, s.accountId)).filter((e) => e.action === 'contact.created')).to.have.length(1);
    });

    it('concurrent reactivations of several contacts for the last seat reactivate exactly one', async () => {
      const s = await newAccount(3);
      await addMember(portal.db, s.accountId);
      const sleepers = [];
      for (let i = 0; i < 6; i++) sleepers.push(await addMember(portal.db, s.accountId, { status: 'deactivated' }));

      const responses = await Promise.all(sleepers.map((m) => post(s, `/${m.contactId}/reactivate`)));
      expect(responses.every((r) => r.status === 303)).to.equal(true);

      const statuses = await Promise.all(sleepers.map((m) => status(m.contactId)));
      expect(statuses.filter((x) => x === 'active')).to.have.length(1);
      expect(await countersOf(portal.db, s.accountId)).to.deep.equal({ active: 3, pending: 0, deactivated: 5 });
      await expectCountersExact(portal.db, s.accountId);
      expect((await auditEventsOf(portal.db, s.accountId)).filter((e) => e.action === 'contact.reactivated')).to.have.length(1);
    });

    it('concurrent adds and reactivations (service level) share the last seat: exactly one wins', async () => {
      const s = await accountWithOneFreeSeat();
      const service = await contactService();
      const deactivated = (await contactsOf(portal.db, s.accountId)).filter((c) => c.status === 'deactivated').map((c) => Number(c.id));
      const forms = distinctForms(CONCURRENT / 2);

      const results = await Promise.allSettled([
        ...forms.map((form) => service.add(callerOf(s), formValues(form), 'pt-BR')),
        ...deactivated.map((id) => service.reactivate(callerOf(s), id)),
      ]);

      expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).to.be.instanceOf(SeatLimitReached);
      const c = await countersOf(portal.db, s.accountId);
      expect(c.active + c.pending).to.equal(5);
      await expectCountersExact(portal.db, s.accountId);
    });
  });
});
